# The shim on a local database's Unix socket, the default of make run, the
# bench and the Debian package (shim/README.md, DATABASE_URL): the
# URL form with host=/path that `pgcluster url` prints, the conninfo form,
# the statement timeout's cancel (which travels over the same socket), and
# bin/finote-db on such a URL. The other suites use TCP on purpose (a
# database on another host is the other supported shape).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
use Time::HiRes qw(time);

my $pgport = free_port();
my $port   = free_port();
my ($dir) = start_cluster('t106', $pgport);
my $url = `'$ROOT/test/bin/pgcluster' url '$dir' $pgport finote_app finote`;
chomp $url;
like($url, qr{^postgresql://finote_app@/finote\?host=/\S+/sock&port=$pgport$}, 'pgcluster url: the socket URL');

# Which of the shim's backends came in over the socket (client_addr NULL)
# and which over TCP.
sub shim_backends {
    return psql($pgport, 'finote', "SELECT coalesce(string_agg(CASE WHEN client_addr IS NULL "
        . "THEN 'socket' ELSE 'tcp' END, ',' ORDER BY pid), '') FROM pg_stat_activity "
        . "WHERE application_name = 'finote-shim'");
}

my $shim = start_shim(PORT => $port, DATABASE_URL => $url, SESSION_SECRET => 's' x 32,
    DB_POOL_MAX => 1, FINOTE_STATEMENT_TIMEOUT_MS => 1000);
my (undef, $cookie) = register_and_login($shim, 'sol', 'sol password');
my $note = api($shim, 'POST', '/api/notes', { title => 'by the socket' }, Cookie => $cookie);
is($note->{status}, 201, 'URL form: a note is written');
is(api($shim, 'GET', "/api/notes/$note->{json}{note}{id}", undef, Cookie => $cookie)->{json}{note}{title},
    'by the socket', 'URL form: and read back');
is(api($shim, 'GET', '/readyz')->{status}, 200, 'URL form: ready');
is(shim_backends(), 'socket', 'the shim\'s one connection is on the Unix socket');

# A statement that waits on a lock is cancelled at the statement timeout:
# the cancel request reaches the server over the socket too.
my $locker = fork // die "fork: $!";
if (!$locker) {
    psql($pgport, 'finote', 'BEGIN; LOCK finote.notes; SELECT pg_sleep(4); COMMIT');
    POSIX::_exit(0);
}
sleep 1;
my $t0 = time;
my $r = api($shim, 'GET', "/api/notes/$note->{json}{note}{id}", undef, Cookie => $cookie);
my $took = time - $t0;
is($r->{status}, 503, 'a blocked statement: 503 at the statement timeout');
cmp_ok($took, '<', 2.5, "within the timeout and the cancel's grace ($took s)");
is(psql($pgport, 'finote', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'finote-shim' "
    . "AND state = 'active'"), 0, 'the statement was cancelled, not left waiting');
waitpid($locker, 0);
is(api($shim, 'GET', "/api/notes/$note->{json}{note}{id}", undef, Cookie => $cookie)->{status}, 200,
    'the connection serves the next request');
stop_shim($shim);

# The conninfo form names the socket directory as host.
(my $sock = $url) =~ s/.*host=([^&]+).*/$1/;
$sock =~ s/%([0-9A-F]{2})/chr hex $1/ge;
$shim = start_shim(PORT => $port, DATABASE_URL => "host=$sock port=$pgport dbname=finote user=finote_app",
    SESSION_SECRET => 's' x 32, DB_POOL_MAX => 1);
is(api($shim, 'GET', "/api/notes/$note->{json}{note}{id}", undef, Cookie => $cookie)->{status}, 200,
    'conninfo form: served');
is(shim_backends(), 'socket', 'conninfo form: on the socket');
stop_shim($shim);

# The operator's tool takes the same URL (its superuser's, here).
(my $admin = $url) =~ s{//finote_app@}{//postgres@};
my $status = `DATABASE_URL='$admin' '$ROOT/bin/finote-db' status 2>&1`;
is($?, 0, 'finote-db status on the socket URL') or diag $status;
like($status, qr/^installed: +1\./m, 'finote-db status: the installed version');

stop_cluster($dir);
done_testing();
