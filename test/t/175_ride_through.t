# The shim rides through a database that goes away and comes back
# (pool.c, dbcall.c; FINOTE_DB_WAIT_MS). Under a steady mixed load (reads,
# creates, updates with If-Match, logins; test/lib/FinoteLoad.pm) the
# cluster is restarted (pg_ctl restart -m fast), then killed
# (pg_ctl stop -m immediate) and started again a second later, within the
# wait. Printed: the answers by kind, the failed requests and the longest.
# Checked: no read fails, no change fails that was not in flight at a break;
# the changes in flight answer 503 with Retry-After, never 500; no note is
# created twice, and every 201 is in the database; /readyz answers at once
# and says 503 while the server is down, 200 again after; the reconnects and
# the retried reads are counted in /metrics.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use FinoteLoad;
use Test::More;
use Time::HiRes qw(sleep time);

# the wait: a crash recovery on a busy machine took 7 s here
my $wait_ms = 20000;
my $pgport = free_port();
my ($dir, $dburl) = start_cluster('t175', $pgport);
# Each login takes two background workers (attempts.c): four at once on a
# busy machine found no slot free (429), OPERATIONS.md's remedy
psql($pgport, 'postgres', 'ALTER SYSTEM SET max_worker_processes = 32');
stop_cluster($dir);
pgcluster_start($dir, $pgport);
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'r' x 32,
    DB_POOL_MAX => 4, FINOTE_DB_WAIT_MS => $wait_ms);
# A login cut off by a break keeps the attempt it reserved (attempts.c), and
# the load logs in often: the budgets are 116_security_db.t's business.
psql($pgport, 'postgres', 'ALTER DATABASE finote SET finote.login_max_failures = 100000');
my $users = load_users($shim, 'rider', 4);

my $prober = readyz_probe_start($shim, "$STATE/logs/t175-readyz.tsv");

my $load = load_start($shim->{url}, $users, dir => "$STATE/t175/load", tag => 'ride', seconds => 60);
sleep 2;

my ($old) = postmaster_pid($dir);
my ($pg_ctl, $fast) = pg_ctl_break($dir, 'restart', '-m', 'fast', '-w', '-t', '60', '-l', "$dir/postgres.log");
my $fast_up = postmaster_ready($dir, $old);
waitpid($pg_ctl, 0);
is($?, 0, 'pg_ctl restart -m fast');
ok($fast_up, sprintf('restarted: down %.2f s after pg_ctl began, up %.2f s after',
    $fast->[1] - $fast->[0], ($fast_up // 0) - $fast->[0]));
sleep 3;

($old) = postmaster_pid($dir);
($pg_ctl, my $killed) = pg_ctl_break($dir, 'stop', '-m', 'immediate', '-w');
waitpid($pg_ctl, 0);
is($?, 0, 'pg_ctl stop -m immediate');
sleep 1;
pgcluster_start($dir, $pgport);
my $killed_up = postmaster_ready($dir, $old);
ok($killed_up, sprintf('killed, started again 1 s later: up %.2f s after the kill',
    ($killed_up // 0) - $killed->[0]));
sleep 3;
my $records = load_stop($load);
my $ready = readyz_probe_stop($prober);

my $account = load_account($records, $fast, $killed);
load_report($account, $fast->[0]);
my $longest = $account->{longest};
ok($account->{count} > 100, "a steady load ($account->{count} requests)");
for my $down (['restart', $fast->[1], $fast_up], ['kill', $killed->[1], $killed_up]) {
    my @rode = grep { $_->{start} < $down->[2] && $_->{end} > $down->[1] && $_->{status} =~ /^2/ } @$records;
    ok(@rode, sprintf('%s: %d requests were waiting while the server was down (%.2f s) and were answered',
        $down->[0], scalar @rode, $down->[2] - $down->[1]));
}
is(scalar @{ $account->{failed} }, 0, 'no read failed, nor any change that was not in flight at a break');
is(scalar(grep { $_->{status} == 500 } @$records), 0, 'no 500');
ok($longest->{end} - $longest->{start} < $wait_ms / 1000 + 3, 'no request waited past FINOTE_DB_WAIT_MS (and a connect)');

# no note twice; every 201 stored
my %stored = map { split /\|/ } split /\n/,
  psql($pgport, 'finote', q{SELECT title || '|' || count(*) FROM finote.notes WHERE title LIKE 'ride-%' GROUP BY title});
my @created = grep { $_->{kind} eq 'create' && $_->{status} == 201 } @$records;
my @doubtful = grep { $_->{kind} eq 'create' && $_->{status} == 503 } @$records;
is(scalar(grep { $_ > 1 } values %stored), 0, 'no note was created twice');
is(scalar(grep { !$stored{ $_->{title} } } @created), 0, sprintf('every 201 is stored (%d)', scalar @created));
diag(sprintf('creates answered 503 in flight: %d, of which stored: %d', scalar @doubtful,
    scalar grep { $stored{ $_->{title} } } @doubtful));
is(scalar(keys %stored), scalar(@created) + scalar(grep { $stored{ $_->{title} } } @doubtful),
    'nothing stored that no create made');

# /readyz: at once, and honest
my $slowest = 0;
$slowest < $_->[1] - $_->[0] and $slowest = $_->[1] - $_->[0] for @$ready;
ok($slowest < 2.5, sprintf('/readyz answers without waiting for the database (slowest %.2f s)', $slowest));
for my $down ([$fast->[1], $fast_up], [$killed->[1], $killed_up]) {
    my @inside = grep { $_->[0] > $down->[0] && $_->[1] < $down->[1] } @$ready;
    ok(@inside && !grep({ $_->[2] == 200 } @inside),
        sprintf('/readyz is 503 while the server is down (%d probes)', scalar @inside));
}
ok((grep { $_->[0] > $killed_up + 1 && $_->[2] == 200 } @$ready), '/readyz is 200 again once it is up');

# a server that only reads, as the old leader back as a replica: 25006
my @auth = (Cookie => $users->[0]{cookie});
psql($pgport, 'postgres', 'ALTER SYSTEM SET default_transaction_read_only = on');
psql($pgport, 'postgres', 'SELECT pg_reload_conf()');
sleep 0.5;
my $r = api($shim, 'POST', '/api/notes', { title => 'read-only' }, @auth);
is($r->{status}, 503, 'a create a read-only server refuses, twice: 503');
ok($r->{headers}{'retry-after'}, '... with Retry-After');
is(api($shim, 'GET', '/api/notes', undef, @auth)->{status}, 200, 'reads go on');
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 503, 'a read-only server: /readyz 503');
is($r->{json}{error}{code}, 'database_read_only', '... database_read_only');
psql($pgport, 'postgres', 'ALTER SYSTEM RESET default_transaction_read_only');
psql($pgport, 'postgres', 'SELECT pg_reload_conf()');
sleep 0.5;
is(api($shim, 'POST', '/api/notes', { title => 'writable' }, @auth)->{status}, 201,
    'writable again: the create goes through on a new connection');
is(api($shim, 'GET', '/readyz')->{status}, 200, '/readyz 200');

my $m = api($shim, 'GET', '/metrics')->{content};
is(metric_value($m, 'finote_db_statement_retries_total{reason="read_only"}'), 1,
    'the create a read-only server refused was sent once more, once');
my $reconnects = metric_value($m, 'finote_db_reconnects_total');
my $retried = metric_value($m, 'finote_db_statement_retries_total{reason="connection_lost"}');
ok($reconnects >= 2, "reconnects counted ($reconnects)");
ok(defined $retried, "retried reads counted ($retried)");
is(api($shim, 'GET', '/api/notes', undef, Cookie => $users->[0]{cookie})->{status}, 200, 'the API works after');
stop_shim($shim);
done_testing();
