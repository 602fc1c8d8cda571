# SIGTERM with a request in flight: the listener closes, the request still
# completes, the pool is closed and the shim exits 0. SIGINT likewise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
my $shim_port = free_port();

my $pg_port = free_port();
my (undef, $dburl) = start_cluster('t190', $pg_port);
my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32, tag => 't190-term');
my ($login) = register_and_login($shim, 'sam', 'sampassword');

# an idle keep-alive connection must not hold up the stop
my $idle = IO::Socket::INET->new("127.0.0.1:$shim_port") or die;
print $idle "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
sysread($idle, my $buf, 4096);

# a request held in the database by a table lock
my $holder = fork // die;
if (!$holder) {
    psql($pg_port, 'finote', 'BEGIN; LOCK TABLE finote.users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;');
    POSIX::_exit(0);
}
sleep 0.5;
pipe(my $rd, my $wr) or die;
my $client = fork // die;
if (!$client) {
    close $rd;
    my $r = api($shim, 'POST', '/api/auth/register', { username => 'inflight', password => 'inflightpassword' });
    print $wr "$r->{status}\n";
    close $wr;
    POSIX::_exit(0);
}
close $wr;
sleep 0.5;
my $in_use = metric_value(api($shim, 'GET', '/metrics')->{content}, 'finote_db_pool_connections{state="in_use"}');
is($in_use, 1, 'a request is in flight in the database');

my $t0 = time;
kill 'TERM', $shim->{pid};
sleep 0.3;
my $late = eval { FinoteTest::raw_request($shim_port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2) } // '';
like($late, qr{^(HTTP/1\.1 503 .*"shutting_down".*|)$}s, 'after SIGTERM a new request is refused (503 or no connection)');
my $status = <$rd>;
chomp $status if defined $status;
is($status, 201, 'the in-flight request completed with its answer');
waitpid($client, 0);
waitpid($holder, 0);
my $exit = FinoteTest::wait_exit($shim, 20);
is($exit, 0, 'exit status 0 after SIGTERM');
ok(time - $t0 < 10, sprintf('stopped in %.1f s', time - $t0));
like(slurp($shim->{err}), qr/SIGTERM: finishing requests in flight.*stopped/s, 'the stop is logged');
is(psql($pg_port, 'finote', q{SELECT count(*) FROM pg_stat_activity WHERE usename = 'finote_app'}), 0,
    'the pool was closed');
like(slurp($shim->{out}), qr{ POST /api/auth/register 201 }, 'the in-flight request is in the access log');
stop_shim($shim);    # checks the sanitizer log

# SIGINT, idle
$shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32);
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => "Bearer $login->{json}{token}")->{status}, 200,
    'a fresh shim serves');
kill 'INT', $shim->{pid};
is(FinoteTest::wait_exit($shim, 20), 0, 'exit status 0 after SIGINT');
like(slurp($shim->{out}), qr{ GET /api/auth/me 200 }, 'the access log is written out at the stop');
stop_shim($shim);
logs_clean($shim, 'sampassword', 'inflightpassword', $login->{json}{token});
done_testing();
