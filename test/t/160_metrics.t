# /metrics: Prometheus text that passes `promtool check metrics`, with the
# request, latency, pool and process series; and the pool's bounded wait
# (DB_POOL_MAX=1, the one connection held: the next request gets 503 in time).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
my $pg_port = free_port();

my (undef, $dburl) = start_cluster('t160', $pg_port);
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'm' x 32,
    DB_POOL_MAX => 1, FINOTE_POOL_WAIT_MS => 300);
my ($login) = register_and_login($shim, 'mia', 'miapassword');
my $bearer = "Bearer $login->{json}{token}";
api($shim, 'GET', '/nope/' . $_) for 1 .. 3;
api($shim, 'PUT', '/api/notes');
api($shim, 'GET', '/api/auth/me', undef, Authorization => $bearer);

my $r = api($shim, 'GET', '/metrics');
is($r->{status}, 200, '/metrics: 200');
is($r->{headers}{'content-type'}, 'text/plain; version=0.0.4; charset=utf-8', '/metrics: exposition type');
my $text = $r->{content};

SKIP: {
    skip 'promtool not installed (Debian package prometheus)', 2 unless `which promtool` =~ /promtool/;
    my $file = "$STATE/logs/metrics.txt";
    open my $fh, '>', $file or die;
    print $fh $text;
    close $fh;
    my $out = `promtool check metrics < '$file' 2>&1`;
    is($?, 0, 'promtool check metrics passes');
    is($out, '', 'promtool has no complaints') or diag $out;
}

like($text, qr/^finote_http_requests_total\{route="\/api\/auth\/register",method="POST",status="201"\} 1$/m,
    'requests by route, method and status');
like($text, qr/^finote_http_requests_total\{route="unmatched",method="GET",status="404"\} 3$/m,
    'unknown paths share one label');
like($text, qr/^finote_http_requests_total\{route="\/api\/notes",method="PUT",status="405"\} 1$/m, '405 counted');
unlike($text, qr/nope/, 'no label value comes from a request path');
like($text, qr/^finote_http_request_duration_seconds_bucket\{route="\/api\/auth\/me",le="0\.005"\} \d+$/m,
    'latency histogram buckets');
like($text, qr/^finote_http_request_duration_seconds_bucket\{route="\/api\/auth\/me",le="\+Inf"\} 1$/m,
    'latency histogram +Inf');
like($text, qr/^finote_http_request_duration_seconds_count\{route="\/api\/auth\/login"\} 1$/m, 'latency count');
is(metric_value($text, 'finote_db_pool_connections{state="in_use"}'), 0, 'pool: none in use');
is(metric_value($text, 'finote_db_pool_connections{state="idle"}'), 1, 'pool: one idle (opened lazily)');
is(metric_value($text, 'finote_db_pool_max_connections'), 1, 'pool: max');
# One connection taken per call: register (the cold start, which learns the
# extension version on the connection its call then uses), login, me.
is(metric_value($text, 'finote_db_pool_wait_seconds_count'), 3,
    'pool wait histogram counts one wait per call, the cold start included');
ok(defined metric_value($text, 'finote_db_pool_wait_seconds_bucket{le="+Inf"}'), 'pool wait buckets');
is(metric_value($text, 'finote_db_pool_timeouts_total'), 0, 'no pool timeouts yet');
is(metric_value($text, 'finote_db_errors_total{kind="connect"}'), 0, 'no connect errors');
is(metric_value($text, 'finote_db_errors_total{kind="query"}'), 0, 'no query errors');
ok(metric_value($text, 'process_resident_memory_bytes') > 1_000_000, 'process_resident_memory_bytes');
ok(defined metric_value($text, 'process_cpu_seconds_total'), 'process_cpu_seconds_total');
ok(metric_value($text, 'process_open_fds') >= 4, 'process_open_fds');
my $start = metric_value($text, 'process_start_time_seconds');
ok($start > time - 600 && $start <= time, 'process_start_time_seconds');
like($text, qr/^# TYPE process_cpu_seconds_total counter$/m, 'process metrics are typed');

# hold the only connection: a register waits on a table lock held by psql
my $holder = fork // die;
if (!$holder) {
    psql($pg_port, 'finote', 'BEGIN; LOCK TABLE finote.users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT;');
    POSIX::_exit(0);
}
sleep 0.5;
my $waiter = fork // die;
if (!$waiter) {
    my $w = api($shim, 'POST', '/api/auth/register', { username => 'late', password => 'latepassword' });
    POSIX::_exit($w->{status} == 201 ? 0 : 1);
}
sleep 0.5;
my $t0 = time;
$r = api($shim, 'GET', '/api/auth/me', undef, Authorization => $bearer);
my $took = time - $t0;
is($r->{status}, 503, 'no free connection within FINOTE_POOL_WAIT_MS: 503');
is($r->{json}{error}{code}, 'unavailable', '503 code');
ok($took < 2, sprintf('the wait is bounded (%.2f s)', $took));
$text = api($shim, 'GET', '/metrics')->{content};
is(metric_value($text, 'finote_db_pool_connections{state="in_use"}'), 1, 'pool: one in use while held');
is(metric_value($text, 'finote_db_pool_timeouts_total'), 1, 'pool timeout counted');
waitpid($waiter, 0);
is($?, 0, 'the waiting request completes once the lock is gone');
waitpid($holder, 0);
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => $bearer)->{status}, 200, 'and the pool serves again');

# a burst of 16 clients on one connection: each gets its note or a 503, the
# pool never holds more than DB_POOL_MAX, nothing stays borrowed
my @kids;
for my $k (1 .. 16) {
    my $pid = fork // die;
    if (!$pid) {
        my $bad = 0;
        for my $i (1 .. 15) {
            my $c = api($shim, 'POST', '/api/notes', { title => "burst $k $i" }, Authorization => $bearer);
            $bad++ unless $c->{status} == 201 || ($c->{status} == 503 && $c->{json}{error}{code} eq 'unavailable');
        }
        POSIX::_exit($bad);
    }
    push @kids, $pid;
}
my $odd = 0;
for (@kids) { waitpid($_, 0); $odd += $? >> 8 }
is($odd, 0, 'a burst over one connection: every answer is 201 or 503');
$text = api($shim, 'GET', '/metrics')->{content};
is(metric_value($text, 'finote_db_pool_connections{state="in_use"}'), 0, 'after the burst: none borrowed');
ok(metric_value($text, 'finote_db_pool_connections{state="idle"}') <= 1, 'after the burst: at most DB_POOL_MAX');
ok(psql($pg_port, 'finote', q{SELECT count(*) FROM pg_stat_activity WHERE usename = 'finote_app'}) <= 1,
    'the database never saw more than DB_POOL_MAX connections');

logs_clean($shim, 'miapassword', 'latepassword', $login->{json}{token});
stop_shim($shim);
done_testing();
