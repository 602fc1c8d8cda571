# Route statements are prepared once per pooled connection and then only
# executed (FINOTE_PREPARE=1, the default); FINOTE_PREPARE=0 sends each one
# unnamed, as PgBouncer's transaction pooling needs. Read from the server's
# own statement log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
my $shim_port = free_port();

my $pg_port = free_port();
my ($dir, $dburl) = start_cluster('t195', $pg_port);
psql($pg_port, 'postgres', 'ALTER SYSTEM SET log_min_duration_statement = 0');
psql($pg_port, 'postgres', 'SELECT pg_reload_conf()');
my $log = "$dir/postgres.log";
my $from = -s $log;
my $new_log = sub { my $all = slurp($log); my $new = substr($all, $from); $from = length $all; $new };

my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 'p' x 32, DB_POOL_MAX => 1);
my ($login) = register_and_login($shim, 'pia', 'piapassword');
my @auth = (Authorization => "Bearer $login->{json}{token}");
my $id = api($shim, 'POST', '/api/notes', { title => 'one' }, @auth)->{json}{note}{id};
$new_log->();
is(api($shim, 'GET', "/api/notes/$id", undef, @auth)->{status}, 200, "get $_") for 1 .. 3;
my $seen = $new_log->();
my @executes = $seen =~ /execute (finote_route_\d+)/g;
is(scalar @executes, 3, 'three gets: three executions of a named statement');
is(scalar(keys %{{ map { $_ => 1 } @executes }}), 1, 'of the same statement');
my @parses = $seen =~ /parse (finote_route_\d+)/g;
is_deeply(\@parses, [$executes[0]], 'parsed once, at its first use on the connection');
unlike($seen, qr/execute <unnamed>: SELECT pg_catalog\.jsonb_build_object\('note', n\), n OPERATOR\(pg_catalog\.->>\) 'version' FROM finote\.note_get/, 'and not sent unnamed');
stop_shim($shim);

$shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 'p' x 32, FINOTE_PREPARE => 0);
$new_log->();
is(api($shim, 'GET', "/api/notes/$id", undef, @auth)->{status}, 200, 'FINOTE_PREPARE=0: get');
$seen = $new_log->();
like($seen, qr/execute <unnamed>: SELECT pg_catalog\.jsonb_build_object\('note', n\), n OPERATOR\(pg_catalog\.->>\) 'version' FROM finote\.note_get/, 'FINOTE_PREPARE=0: sent unnamed');
unlike($seen, qr/finote_route_/, 'FINOTE_PREPARE=0: nothing prepared');
stop_shim($shim);

done_testing();
