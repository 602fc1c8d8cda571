# The database goes away under the running shim and comes back: /healthz
# stays 200, /readyz and the API answer 503 (no crash, no hang; the API
# after FINOTE_DB_WAIT_MS, here 500 ms), and after the restart everything
# works again without restarting the shim. Riding through a restart under
# load is 175_ride_through.t's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);
my $pg_port = free_port();

my ($dir, $dburl) = start_cluster('t170', $pg_port);
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'r' x 32, DB_POOL_MAX => 3,
    FINOTE_DB_WAIT_MS => 500);
my ($login, $cookie) = register_and_login($shim, 'rita', 'ritapassword');
my @auth = (Cookie => $cookie);
# fill the pool with connections that the restart will kill
my @kids;
for (1 .. 3) {
    my $pid = fork // die;
    if (!$pid) { api($shim, 'POST', '/api/notes', { title => "n$_" }, @auth); POSIX::_exit(0) }
    push @kids, $pid;
}
waitpid($_, 0) for @kids;
is(api($shim, 'GET', '/readyz')->{json}{extension_version}, '1.3', 'ready, extension 1.3');

stop_cluster($dir);
my $t0 = time;
my $r = api($shim, 'GET', '/readyz');
is($r->{status}, 503, 'database down: /readyz 503');
is($r->{json}{error}{code}, 'unavailable', '/readyz: code');
for my $try (1 .. 5) {
    $r = api($shim, 'GET', '/api/notes', undef, @auth);
    is($r->{status}, 503, "database down: API 503 (try $try)");
}
is($r->{json}{error}{code}, 'unavailable', 'API: code');
$r = api($shim, 'POST', '/api/auth/login', { username => 'rita', password => 'ritapassword' });
is($r->{status}, 503, 'database down: login 503');
ok(time - $t0 < 10, 'answers come quickly while the database is down');
my $nid = '00000000-0000-0000-0000-000000000000';
for my $row (['POST', '/api/auth/register', { username => 'x' . time, password => 'xpassword' }],
    ['POST', '/api/auth/logout'], ['GET', '/api/auth/me'],
    ['PUT', '/api/auth/password', { current_password => 'a' x 8, new_password => 'b' x 8 }],
    ['POST', '/api/notes', { title => 't' }], ['GET', "/api/notes/$nid"], ['PATCH', "/api/notes/$nid", { title => 't' }],
    ['DELETE', "/api/notes/$nid"], ['GET', '/api/tags'])
{
    my ($m, $p, $b) = @$row;
    $r = api($shim, $m, $p, $b, @auth);
    is($r->{status}, 503, "database down: $m $p 503");
}
is(api($shim, 'GET', '/healthz')->{status}, 200, 'database down: /healthz 200');
my $m = api($shim, 'GET', '/metrics')->{content};
ok(metric_value($m, 'finote_db_errors_total{kind="connect"}') > 0, 'connect errors counted');

pgcluster_start($dir, $pg_port);
my $ready;
for (1 .. 50) {
    last if ($ready = api($shim, 'GET', '/readyz')->{status}) == 200;
    sleep 0.2;
}
is($ready, 200, 'database back: /readyz 200 without restarting the shim');
for my $try (1 .. 5) {
    is(api($shim, 'GET', '/api/notes', undef, @auth)->{status}, 200, "database back: API 200 (try $try)");
}
is(api($shim, 'POST', '/api/notes', { title => 'after' }, @auth)->{status}, 201, 'database back: writes work');

# the same with connections killed by an administrator, not a restart
# (pg_terminate_backend only signals: wait until they are gone, as after a restart)
psql($pg_port, 'finote', q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'finote_app'});
for (1 .. 50) {
    last if psql($pg_port, 'finote', q{SELECT count(*) FROM pg_stat_activity WHERE usename = 'finote_app'}) == 0;
    sleep 0.1;
}
is(api($shim, 'GET', '/api/auth/me', undef, @auth)->{status}, 200, 'terminated backends are replaced');
$m = api($shim, 'GET', '/metrics')->{content};
ok(metric_value($m, 'finote_db_pool_connections{state="idle"}') <= 3, 'never more than DB_POOL_MAX connections');
my $count = psql($pg_port, 'finote', q{SELECT count(*) FROM pg_stat_activity WHERE usename = 'finote_app'});
ok($count <= 3, "the database sees at most DB_POOL_MAX connections ($count)");

logs_clean($shim, 'ritapassword', $login->{json}{token});
stop_shim($shim);
done_testing();
