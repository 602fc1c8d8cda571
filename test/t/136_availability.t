# Availability (issue 14): what one client can cost the shim and the
# database. The head checks civetweb does not make (431, 400 and close for
# framing that could smuggle a request), Connection: close that really
# closes, keep-alive shed when workers are scarce, the head timeout, the
# password-hash gate (503 + Retry-After), 429's real Retry-After, the
# statement timeout (a blocked statement is cancelled: 503 + Retry-After),
# cancelling the statement of a client that hung up, and a stopped database
# costing a request at most the statement timeout while /healthz answers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $pgport = free_port();
my $port   = free_port();
my ($dir, $dburl) = start_cluster('t136', $pgport);
my $shim = start_shim(PORT => $port, DATABASE_URL => $dburl, SESSION_SECRET => 'v' x 32,
    FINOTE_THREADS => 8, FINOTE_HEADER_TIMEOUT_MS => 1000, FINOTE_REQUEST_TIMEOUT_MS => 3000,
    FINOTE_STATEMENT_TIMEOUT_MS => 1000, FINOTE_HASH_CONCURRENCY => 1, FINOTE_HASH_WAIT_MS => 0,
    FINOTE_POOL_WAIT_MS => 3000, FINOTE_DB_WAIT_MS => 1000);
my (undef, $cookie) = register_and_login($shim, 'vera', 'vera password');
my $note = api($shim, 'POST', '/api/notes', { title => 't', content => 'c' }, Cookie => $cookie);
is($note->{status}, 201, 'a note');

sub connect_shim {
    return IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 5) || die "connect: $!";
}

# Everything the socket gives until the server closes it or $timeout
# passes; and whether it closed.
sub read_all {
    my ($s, $timeout) = @_;
    my ($out, $closed) = ('', 0);
    my $until = time + $timeout;
    $s->blocking(0);
    while (time < $until) {
        my $n = sysread($s, my $buf, 65536);
        if (defined $n && $n == 0) { $closed = 1; last }
        if ($n) { $out .= $buf; next }
        sleep 0.02;
    }
    return ($out, $closed);
}

sub statuses { my ($out) = @_; return [ $out =~ m{^HTTP/1\.1 (\d+) }mg ] }

sub exchange {
    my ($bytes, $timeout) = @_;
    my $s = connect_shim();
    print $s $bytes;
    my ($out, $closed) = read_all($s, $timeout // 3);
    close $s;
    return ($out, $closed);
}

my $pipelined = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

# ---- the head ----
my $headers63 = join '', map { "X-H$_: $_\r\n" } 1 .. 62;
my ($out, $closed) = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n$headers63\r\n", 1);
is_deeply(statuses($out), [200], '63 headers: served');
($out, $closed) = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-H63: 63\r\n$headers63\r\n$pipelined");
is_deeply(statuses($out), [431], '64 headers: 431, and the request behind it is not served');
like($out, qr/"code":"headers_too_many"/, '431: JSON code');
ok($closed, '431: the connection is closed');

for my $case (
    [ 'conflicting Content-Length', "Content-Length: 2\r\nContent-Length: 0\r\n" ],
    [ 'Content-Length and Transfer-Encoding', "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n" ],
    [ 'a space before the colon', "Content-Length : 2\r\n" ],
    [ 'a separator in a name', "X(y): 1\r\n" ])
{
    my ($what, $bad) = @$case;
    ($out, $closed) = exchange("POST /api/auth/logout HTTP/1.1\r\nHost: x\r\n${bad}\r\n{}$pipelined");
    is_deeply(statuses($out), [400], "$what: 400, nothing else served");
    like($out, qr/"code":"bad_request"/, "$what: JSON code");
    like($out, qr/\r\nConnection: close\r\n/, "$what: Connection: close");
    ok($closed, "$what: the connection is closed");
}
($out) = exchange("POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 1);
is_deeply(statuses($out), [204], 'a repeated, equal Content-Length: served');

# ---- Connection: close closes ----
my $big = 'x' x 1_100_000;
($out, $closed) = exchange("POST /api/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      . "Content-Length: " . length($big) . "\r\n\r\n$big$pipelined");
is_deeply(statuses($out), [413], '413, body read to its end: the pipelined request behind it is not served');
ok($closed, '413: closed');
my $s = connect_shim();
print $s "POST /api/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{}";
($out, $closed) = read_all($s, 5);
is_deeply(statuses($out), [408], "a late body: one 408 and nothing after it") or diag $out;
ok($closed, '408: closed');
close $s;

# ---- the head timeout: a client that sends nothing loses its worker ----
$s = connect_shim();
my $t0 = time;
($out, $closed) = read_all($s, 4);
ok($closed && time - $t0 < 2, sprintf('a silent connection is closed after the head timeout (%.1f s)', time - $t0));
close $s;

# ---- keep-alive is shed when workers are scarce (6 of 8 held) ----
($out) = exchange($pipelined, 0.5);
like($out, qr/\r\nConnection: keep-alive\r\n/, 'workers free: keep-alive');
my @idle = map { my $c = connect_shim(); print $c "GET /healthz HTTP/1.1\r\n"; $c } 1 .. 5;
sleep 0.3;
($out, $closed) = exchange($pipelined . $pipelined, 1);
is_deeply(statuses($out), [200], 'workers scarce: answered, the next request on it is not');
like($out, qr/\r\nConnection: close\r\n/, 'workers scarce: Connection: close');
ok($closed, 'workers scarce: closed');
close $_ for @idle;
sleep 0.3;

# ---- 429 says how long to wait ----
# Five failures counted (on a loaded machine a login may be 503 instead:
# not counted, no guess made; it is sent again, boundedly).
my ($failures, $r) = (0);
for (1 .. 20) {
    last if $failures == 5;
    $failures++ if api($shim, 'POST', '/api/auth/login', { username => 'vera', password => "wrong $_" })->{status} == 401;
}
is($failures, 5, 'five wrong passwords: five 401');
for (1 .. 10) {
    $r = api($shim, 'POST', '/api/auth/login', { username => 'vera', password => 'vera password' });
    last if $r->{status} != 503;
    sleep 1;
}
is($r->{status}, 429, 'throttled: 429');
# finote 1.1.3: past the budget, the first delay is 30 s (13_attempts)
ok(($r->{headers}{'retry-after'} // 0) > 20 && $r->{headers}{'retry-after'} <= 30,
    "429: Retry-After is the database's wait ($r->{headers}{'retry-after'} s)");
psql($pgport, 'finote', 'DELETE FROM finote.attempts');

# ---- the password-hash gate: one turn, no wait ----
my $login = '{"username":"vera","password":"vera password"}';
my @socks = map {
    my $c = connect_shim();
    print $c "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      . "Connection: close\r\nContent-Length: " . length($login) . "\r\n\r\n$login";
    $c
} 1 .. 4;
my @answers = map { (read_all($_, 5))[0] } @socks;
my @st = sort map { @{ statuses($_) } } @answers;
ok((grep { $_ == 503 } @st) && (grep { $_ == 200 } @st), "4 logins at once, 1 turn: some 200, the rest 503 (@st)");
my ($busy) = grep { m{^HTTP/1\.1 503 } } @answers;
like($busy // '', qr/\r\nRetry-After: 1\r\n/, 'hash gate 503: Retry-After');
like($busy // '', qr/too many logins at once/, 'hash gate 503: says why');

# ---- the statement timeout ----
# A session holds a lock every note statement needs, for 8 s.
sub hold_lock {
    my $pid = fork // die;
    if (!$pid) {
        psql($pgport, 'finote', 'BEGIN; LOCK finote.notes; SELECT pg_sleep(8); COMMIT');
        POSIX::_exit(0);    # not exit: END would stop the cluster
    }
    sleep 0.5;
    return $pid;
}
sub shim_queries_active {
    return psql($pgport, 'finote', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'finote-shim'"
          . " AND state = 'active'");
}
my $locker = hold_lock();
$t0 = time;
$r = api($shim, 'GET', '/api/notes', undef, Cookie => $cookie);
my $took = time - $t0;
is($r->{status}, 503, 'a statement blocked past the statement timeout: 503');
is($r->{headers}{'retry-after'}, '1', 'statement timeout 503: Retry-After');
ok($took < 2.5, sprintf('... after the statement timeout (%.1f s)', $took));
sleep 0.3;
is(shim_queries_active(), 0, 'the blocked statement was cancelled in the database');

# ---- a client that hangs up: its statement is cancelled ----
$s = connect_shim();
print $s "GET /api/notes HTTP/1.1\r\nHost: x\r\nCookie: $cookie\r\n\r\n";
sleep 0.3;
is(shim_queries_active(), 1, 'a statement waits on the lock');
close $s;
sleep 0.5;
is(shim_queries_active(), 0, 'the client hung up: its statement was cancelled');
waitpid($locker, 0);

# ---- a stopped database ----
my ($postmaster) = split /\n/, slurp("$dir/data/postmaster.pid");
my @pg = ($postmaster, map { (split ' ', slurp("/proc/$_/stat"))[0] }
      grep { ((split ' ', slurp("/proc/$_/stat"))[3] // 0) == $postmaster } map { m{/(\d+)$} } glob '/proc/[0-9]*');
kill 'STOP', @pg;
$t0 = time;
$r = api($shim, 'GET', "/api/notes/$note->{json}{note}{id}", undef, Cookie => $cookie);
$took = time - $t0;
my $t1 = time;
my $h = api($shim, 'GET', '/healthz');
my $health_took = time - $t1;
kill 'CONT', @pg;
is($r->{status}, 503, 'a stopped database: 503');
is($r->{headers}{'retry-after'}, '1', 'stopped database 503: Retry-After');
ok($took < 3, sprintf('... within the statement timeout and the cancel grace, or FINOTE_DB_WAIT_MS and a connect (%.1f s)', $took));
is($h->{status}, 200, 'a stopped database: /healthz 200');
ok($health_took < 0.5, sprintf('... at once (%.3f s)', $health_took));
sleep 0.5;
is(api($shim, 'GET', "/api/notes/$note->{json}{note}{id}", undef, Cookie => $cookie)->{status}, 200,
    'the database back: served again');

stop_shim($shim);
done_testing();
