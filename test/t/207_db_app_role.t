# bin/finote-db app-role: the shim's login role, with a password that works
# for real SCRAM authentication and that never reaches the server's log,
# even with every statement logged, and its search path pinned to
# pg_catalog, pg_temp.
use strict;
use warnings;
use lib 'test/lib';
use FinoteDb;
use Test::More;

my $srv = start_server('dbtool-207', free_port());
psql_ok($srv, 'postgres', "CREATE DATABASE finote TEMPLATE template0 ENCODING 'UTF8'") or die;
my $log = "$srv->{dir}/cluster/postgres.log";

my ($rc, $out, $err) = tool($srv, ['app-role']);
isnt($rc, 0, 'app-role before migrate fails');
like($err, qr/run finote-db migrate first/, 'and says what to do');
($rc, $out, $err) = tool($srv, ['migrate']);
is($rc, 0, 'migrate') or diag $err;

# Every statement, error and duration logged, as a careless server might.
psql_ok($srv, 'postgres', "ALTER SYSTEM SET log_statement = 'all'") or die;
psql_ok($srv, 'postgres', "ALTER SYSTEM SET log_min_duration_statement = 0") or die;
psql_val($srv, 'postgres', "SELECT pg_reload_conf()");
# finote_app logs in over TCP with SCRAM; everyone else as before (trust).
my $hba = "$srv->{dir}/cluster/data/pg_hba.conf";
my $rules = FinoteDb::slurp($hba);
spew($hba, "host all finote_app 127.0.0.1/32 scram-sha-256\n$rules");
psql_val($srv, 'postgres', "SELECT pg_reload_conf()");

my $secret = 'Correct-Horse 42!';
($rc, $out, $err) = tool($srv, ['app-role'], ENV => { FINOTE_APP_PASSWORD => $secret });
is($rc, 0, 'app-role with FINOTE_APP_PASSWORD') or diag $err;
like($out, qr/role finote_app: LOGIN, member of finote_api, password set/, 'says what it did');
unlike($out . $err, qr/\Q$secret\E/, 'the password is not printed');
is(psql_val($srv, 'finote', q{SELECT rolcanlogin AND pg_has_role('finote_app', 'finote_api', 'MEMBER')
    AND rolpassword LIKE 'SCRAM-SHA-256$4096:%' FROM pg_authid WHERE rolname = 'finote_app'}), 't',
    'finote_app: LOGIN, in finote_api, a SCRAM-SHA-256 verifier stored');
my $stored = psql_val($srv, 'finote', q{SELECT rolpassword FROM pg_authid WHERE rolname = 'finote_app'});
my $logged = FinoteDb::slurp($log);
unlike($logged, qr/\Q$secret\E/, 'the password is not in the server log');
unlike($logged, qr/\Q$stored\E/, 'nor its verifier');

# The verifier is right: PostgreSQL's own SCRAM exchange accepts the
# password and refuses another.
my $bindir = `'$srv->{pg_config}' --bindir`;
chomp $bindir;
sub login_as_app {
    my ($pw, $sql) = @_;
    local $ENV{PGPASSWORD} = $pw;
    $sql //= 'SELECT current_user';
    my $r = `'$bindir/psql' -X -At -h 127.0.0.1 -p $srv->{port} -U finote_app -d finote -c '$sql' 2>&1`;
    return ($? >> 8, $r);
}
my ($lrc, $lout) = login_as_app($secret);
is($lout, "finote_app\n", 'finote_app logs in with the password over SCRAM');
# Its own search path: nothing a role can create in comes before pg_catalog,
# so a look-alike in public never shadows what the shim's statements call.
($lrc, $lout) = login_as_app($secret, 'SHOW search_path');
is($lout, "pg_catalog, pg_temp\n", 'its search_path is pg_catalog, pg_temp');
($lrc, $lout) = login_as_app($secret, 'SHOW plan_cache_mode');
is($lout, "force_generic_plan\n", 'its plans are generic (no request body in a plan)');
($lrc, $lout) = login_as_app('wrong password');
like($lout, qr/password authentication failed for user "finote_app"/, 'a wrong password is refused');

# A second run with no password changes nothing; a new password replaces it.
($rc, $out, $err) = tool($srv, ['app-role']);
is($rc, 0, 'app-role again without a password') or diag $err;
is(psql_val($srv, 'finote', q{SELECT rolpassword FROM pg_authid WHERE rolname = 'finote_app'}), $stored,
   'the password is left as it was');
# A password PostgreSQL would SASLprep differently is refused, changing nothing.
($rc, $out, $err) = tool($srv, ['app-role'], ENV => { FINOTE_APP_PASSWORD => "caf\x{e9}" });
isnt($rc, 0, 'a password that is not printable ASCII is refused');
like($err, qr/FINOTE_APP_PASSWORD must be printable ASCII/, 'with the reason');
is(psql_val($srv, 'finote', q{SELECT rolpassword FROM pg_authid WHERE rolname = 'finote_app'}), $stored,
   'and the role is unchanged');

# A role name is an identifier, quoted, never SQL.
($rc, $out, $err) = tool($srv, ['app-role', 'odd"; DROP TABLE finote.notes; --']);
is($rc, 0, 'an odd role name is only a name') or diag $err;
is(psql_val($srv, 'finote', q{SELECT count(*) FROM pg_roles WHERE rolname = 'odd"; DROP TABLE finote.notes; --'}), 1,
   'that role exists');
is(psql_val($srv, 'finote', "SELECT to_regclass('finote.notes') IS NOT NULL"), 't', 'and finote.notes is still there');

done_testing();
