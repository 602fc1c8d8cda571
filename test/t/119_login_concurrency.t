# Issue 25, finote 1.2.2: the attempt budgets count failures only. Correct
# logins at once, of one user or of 60 users, all from one address, through
# SQL and through three shims on one cluster, are never refused; wrong
# ones at once still never pass the budget (5 guesses per username and
# address); and when no background worker slot is free for the attempt
# server, logins answer 503 with Retry-After, never 500. A shim's hashing
# gate waits out a lock that holds its turns (an upgrade's), but not while
# workers are scarce.
#
# Before 1.2.2 a reservation in flight counted as a failure until it was
# given back: the 6th concurrent correct login of one user from one address
# was refused with 429 (T119_VERSION=1.2.1 runs this file against 1.2.1).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
use POSIX ();
use IO::Socket::INET;
use Time::HiRes ();

my $version = $ENV{T119_VERSION};
my $pg_port = free_port();
my ($dir, $dburl) = start_cluster('t119', $pg_port, $version ? (version => $version) : ());
is(psql($pg_port, 'finote', q{SELECT extversion FROM pg_extension WHERE extname = 'finote'}),
    $version // '1.3', 'the database is at the version under test');
psql($pg_port, 'finote', q{SELECT count(finote.register('solo', 'solo password'))});
psql($pg_port, 'finote', q{SELECT count(finote.register('user' || i, 'user password'))
                             FROM generate_series(0, 59) i});

my $bindir = `pg_config --bindir`;
chomp $bindir;

# pgbench: $clients clients, one transaction each, of $sql (:client_id is
# 0 to $clients - 1). Returns (transactions done, the errors' messages).
sub sql_burst {
    my ($clients, $sql) = @_;
    my $script = "$STATE/t119-$$.sql";
    open my $fh, '>', $script or die "$script: $!";
    print $fh "$sql\n";
    close $fh;
    my $out = `'$bindir/pgbench' -n -h 127.0.0.1 -p $pg_port -U postgres -c $clients -j 4 -t 1 -f '$script' finote 2>&1`;
    unlink $script;
    my ($done) = $out =~ m{number of transactions actually processed: (\d+)/};
    my @errors = $out =~ m{aborted in command \d+ query \d+: ERROR:\s+(.*)}g;
    return ($done // 0, @errors);
}

my ($done, @errors) = sql_burst(20, q{SELECT finote.login('solo', 'solo password', '10.9.9.9');});
is($done, 20, 'SQL: 20 concurrent correct logins of one user from one address all succeed')
  or diag explain \@errors;
($done, @errors) = sql_burst(60, q{SELECT finote.login('user' || :client_id, 'user password', '10.9.9.9');});
is($done, 60, 'SQL: 60 users log in at once from one address, none refused')
  or diag explain \@errors;

# Three shims on the cluster, each with the default hashing gate (2 at once):
# up to 6 logins in the database at once. The gate waits rather than 503.
my @shims = map {
    start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32,
        DB_POOL_MAX => 20, FINOTE_HASH_CONCURRENCY => 2, FINOTE_HASH_WAIT_MS => 60000,
        FINOTE_STATEMENT_TIMEOUT_MS => 60000, FINOTE_POOL_WAIT_MS => 60000)
} 1 .. 3;

# $n requests at once, spread over the shims; $body->($i) is request $i's
# body. All wait at a pipe and start together. Returns status => count.
sub http_burst {
    my ($n, $body, @via) = @_;
    pipe(my $go_rd, my $go_wr) or die "pipe: $!";
    pipe(my $rd, my $wr) or die "pipe: $!";
    my @pids;
    for my $i (0 .. $n - 1) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $go_wr;
            close $rd;
            sysread($go_rd, my $x, 1);    # returns at the parent's close
            my $r = api($via[$i % @via], 'POST', '/api/auth/login', $body->($i));
            syswrite($wr, "$r->{status} " . ($r->{headers}{'retry-after'} // '-') . "\n");
            POSIX::_exit(0);    # not exit: the parent's END blocks stop the cluster
        }
        push @pids, $pid;
    }
    close $wr;
    close $go_rd;
    close $go_wr;
    my (%status, %retry_after);
    for my $line (<$rd>) {
        my ($s, $ra) = split ' ', $line;
        $status{$s}++;
        $retry_after{$s} = $ra;
    }
    waitpid($_, 0) for @pids;
    return (\%status, \%retry_after);
}

my ($st) = http_burst(20, sub { { username => 'solo', password => 'solo password' } }, @shims);
is_deeply($st, { 200 => 20 }, '3 shims: 20 concurrent correct logins of one user from one address: 20 × 200');
($st) = http_burst(60, sub { { username => "user$_[0]", password => 'user password' } }, @shims);
is_deeply($st, { 200 => 60 }, '3 shims: 60 users at once from one address: 60 × 200');

# Wrong passwords at once still never pass the budget of one username and
# address (5): SQL from 10.9.9.10, and through the shims (from 127.0.0.1).
($done, @errors) = sql_burst(40, q{SELECT finote.login('solo', 'guess ' || :client_id, '10.9.9.10');});
my $guesses = grep { /invalid username or password/ } @errors;
my $throttled = grep { /too many failed login attempts/ } @errors;
is($guesses, 5, 'SQL: 40 concurrent wrong attempts from one address: 5 real guesses');
is($throttled, 35, 'SQL: the other 35 refused as throttled') or diag explain \@errors;
is(psql($pg_port, 'finote', q{SELECT attempts FROM finote.attempts WHERE key = 'login:solo 10.9.9.10'}),
    5, 'SQL: 5 failures counted');
($st) = http_burst(40, sub { { username => 'solo', password => "guess $_[0]" } }, @shims);
is_deeply($st, { 401 => 5, 429 => 35 }, '3 shims: 40 concurrent wrong attempts: 5 × 401, 35 × 429');

# A correct login from elsewhere is unaffected, and clears the username's
# budget at that address only.
($done, @errors) = sql_burst(1, q{SELECT finote.login('solo', 'solo password', '10.9.9.11');});
is($done, 1, 'the owner at another address logs in');

# A hashing turn is held through whatever the login waits for in the
# database, such as an upgrade's lock (ALTER EXTENSION holds its locks until
# its index builds end). With the gate's default wait (5 s), logins queued
# behind one that waits 2.5 s on such a lock are answered, not refused (at
# 1 s they were 503). But while workers are scarce, a login that finds no
# turn free is refused at once rather than hold a worker.
my $gated = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32,
    FINOTE_HASH_CONCURRENCY => 1, FINOTE_THREADS => 8);
sub lock_sessions {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        psql($pg_port, 'finote', 'BEGIN; LOCK TABLE finote.sessions IN SHARE MODE; SELECT pg_sleep(2.5); COMMIT');
        POSIX::_exit(0);
    }
    for (1 .. 50) {
        last if psql($pg_port, 'finote', q{SELECT count(*) FROM pg_locks
            WHERE relation = 'finote.sessions'::regclass AND mode = 'ShareLock' AND granted});
        select(undef, undef, undef, 0.05);
    }
    return $pid;
}
sub lock_waiters {
    return psql($pg_port, 'finote', q{SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'});
}
my $locker = lock_sessions();
($st) = http_burst(4, sub { { username => "user$_[0]", password => 'user password' } }, $gated);
waitpid($locker, 0);
is_deeply($st, { 200 => 4 }, 'logins queued behind a 2.5 s lock wait out the lock: 4 × 200')
  or diag explain $st;

$locker = lock_sessions();
my $first = fork // die "fork: $!";
if (!$first) {
    POSIX::_exit(api($gated, 'POST', '/api/auth/login', { username => 'user1', password => 'user password' })
      ->{status} == 200 ? 0 : 1);
}
my $waiting = 0;
for (1 .. 50) {
    last if ($waiting = lock_waiters());
    select(undef, undef, undef, 0.05);
}
ok($waiting, 'a login holds the only turn, waiting on the lock');
# A second login waits for the turn; then 5 idle connections make 7 of 8
# workers' connections open: workers are scarce, and it stops waiting.
pipe(my $second_rd, my $second_wr) or die "pipe: $!";
my $second = fork // die "fork: $!";
if (!$second) {
    close $second_rd;
    my $s = api($gated, 'POST', '/api/auth/login', { username => 'user3', password => 'user password' });
    syswrite($second_wr, sprintf("%d %.3f\n", $s->{status}, Time::HiRes::time()));
    POSIX::_exit(0);
}
close $second_wr;
select(undef, undef, undef, 0.3);
my $scarce_at = Time::HiRes::time();
my @idle = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$gated->{port}") or die "connect: $!" } 1 .. 5;
my ($second_status, $second_at) = split ' ', (<$second_rd> // '');
waitpid($second, 0);
is($second_status, 503, 'a login waiting when workers grow scarce: 503');
ok(defined $second_at && $second_at - $scarce_at < 1,
    sprintf('within a moment of it (%.2f s), not at the lock\'s end', ($second_at // 0) - $scarce_at));
my $t0 = Time::HiRes::time();
my $r = api($gated, 'POST', '/api/auth/login', { username => 'user2', password => 'user password' });
my $took = Time::HiRes::time() - $t0;
is($r->{status}, 503, 'workers scarce, no turn free: 503');
ok($took < 1, sprintf('at once, not after the wait (%.2f s)', $took));
close $_ for @idle;
waitpid($first, 0);
is($?, 0, 'the login that held the turn: 200 once the lock is gone');
waitpid($locker, 0);
stop_shim($gated);

# First come, first served: 12 clients log in 4 times each, one after the
# other, against one turn. A login that began 100 ms after another should
# not end before it: with the queue, only a client's own scheduling delay
# lets one pass another (5 at most in the matrix's loaded sid container,
# 10 allowed); with a condition's wake-up of any waiter (and newcomers
# taking a freed turn first) one login saw 16 to 25 later ones go first. Counted in order, not in
# seconds: the hash's speed changes with the load on the machine.
my $fair = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32,
    FINOTE_HASH_CONCURRENCY => 1, FINOTE_HASH_WAIT_MS => 600000, FINOTE_STATEMENT_TIMEOUT_MS => 60000);
pipe(my $fair_rd, my $fair_wr) or die "pipe: $!";
my @fair_pids = map {
    my $i = $_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $fair_rd;
        my $out = '';
        for (1 .. 4) {
            my $t = Time::HiRes::time();
            my $s = api($fair, 'POST', '/api/auth/login', { username => "user$i", password => 'user password' });
            my $why = $s->{status} == 200 ? '' : ($s->{json}{error}{message} // $s->{content} // '');
            $why =~ s/\s+/ /g;
            $out .= sprintf("%d %.6f %.6f %s\n", $s->{status}, $t, Time::HiRes::time(), $why);
        }
        syswrite($fair_wr, $out);
        POSIX::_exit(0);
    }
    $pid;
} 10 .. 21;
close $fair_wr;
my (%fair_status, @fair);
for my $line (<$fair_rd>) {
    my ($s, $start, $end, $why) = split ' ', $line, 4;
    $fair_status{$s}++;
    if ($s == 200) { push @fair, [$start, $end] }
    else { diag("login answered $s: $why") }
}
waitpid($_, 0) for @fair_pids;
my $passed = 0;    # the most later logins that ended before one login
for my $x (@fair) {
    my $n = grep { $_->[0] > $x->[0] + 0.1 && $_->[1] < $x->[1] } @fair;
    $passed = $n if $n > $passed;
}
ok(@fair >= 40, '12 clients against one turn, 4 logins each: ' . scalar(@fair) . ' of 48 answered 200');
ok($passed <= 10, "no login is passed by more than a few later ones (at most $passed)");
stop_shim($fair);

# No background worker slot for the attempt server: max_worker_processes 1,
# which the logical replication launcher holds. A login storm is 503 with
# Retry-After, never 500.
# After a restart each shim's pooled connections are dead: wait until every
# shim has a working one again (/readyz), so that the storm meets the server
# and not the restart.
sub restart_cluster {
    stop_cluster($dir);
    pgcluster_start($dir, $pg_port);
    for my $shim (@shims) {
        my $ready;
        for (1 .. 300) {
            last if ($ready = api($shim, 'GET', '/readyz')->{status} == 200);
            select(undef, undef, undef, 0.1);
        }
        BAIL_OUT("shim on port $shim->{port} not ready 30 s after the restart") unless $ready;
    }
}

# What the shims said, when a storm did not answer as expected.
sub shims_stderr {
    return join '', map { my $e = slurp($_->{err}); "shim $_->{port}:\n" . substr($e, -2000) } @shims;
}

psql($pg_port, 'postgres', 'ALTER SYSTEM SET max_worker_processes = 1');
restart_cluster();
# the launcher must hold the one slot before the storm: on a loaded machine
# it starts late, and the attempt server took the slot first (2 × 200)
for (1 .. 100) {
    last if psql($pg_port, 'postgres',
        q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'logical replication launcher'});
    select(undef, undef, undef, 0.1);
}
my $ra;
($st, $ra) = http_burst(20, sub { { username => "user$_[0]", password => 'user password' } }, @shims);
is_deeply($st, { 503 => 20 }, 'no worker slot: a storm of 20 logins is 20 × 503')
  or diag explain($st), shims_stderr();
is($ra->{503}, 1, '503 with Retry-After: 1');
($done, @errors) = sql_burst(1, q{SELECT finote.login('solo', 'solo password', '10.9.9.9');});
like($errors[0] // '', qr/no background worker slot is free/, 'SQL: the error says why (53000)');
psql($pg_port, 'postgres', 'ALTER SYSTEM RESET max_worker_processes');
restart_cluster();
($st) = http_burst(6, sub { { username => "user$_[0]", password => 'user password' } }, @shims);
is_deeply($st, { 200 => 6 }, 'with slots again, logins succeed') or diag explain($st), shims_stderr();

stop_shim($_) for @shims;
done_testing();
