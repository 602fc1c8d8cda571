# A running shim across bin/finote-db migrate from 1.1.2 to the default
# version, on the one database connection it had before (DB_POOL_MAX=1):
# its route statements were prepared on that connection against 1.1.2's
# functions, and the hops drop and create again the functions that gain
# arguments (login and register in 1.1.3, note_update and note_delete in
# 1.2). PostgreSQL's plan cache analyses such a statement again on its next
# use and finds the new function (the old call, without the new arguments,
# resolves to it through their defaults), so no request may fail: a hop
# that broke an old call (an argument without a default, a changed result
# type) fails here.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;

my $pg_port = free_port();
my (undef, $dburl) = start_cluster('t128', $pg_port, version => '1.1.2');
my $default = psql($pg_port, 'finote', "SELECT default_version FROM pg_available_extensions WHERE name = 'finote'");
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'u' x 32, DB_POOL_MAX => 1);
my $backend = sub { psql($pg_port, 'finote', "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE usename = 'finote_app'") };

# Every route the mix of make bench-migrate uses, and delete; each statement
# is prepared on the shim's one connection.
my $round = sub {
    my ($when) = @_;
    my %got;
    my $r = api($shim, 'POST', '/api/auth/login', { username => 'ulla', password => 'ullapassword' });
    $got{login} = $r->{status};
    my @auth = (Authorization => "Bearer " . ($r->{json}{token} // ''));
    $r = api($shim, 'POST', '/api/notes', { title => "kept $when", content => 'text', tags => ['t'] }, @auth);
    $got{create} = $r->{status};
    my $kept = $r->{json}{note}{id} // 'none';
    $got{create_more} = api($shim, 'POST', '/api/notes', { title => "gone $when", content => 'text' }, @auth)->{status};
    my $gone = api($shim, 'GET', '/api/notes?q=gone', undef, @auth)->{json}{notes}[0]{id} // 'none';
    $got{update} = api($shim, 'PATCH', "/api/notes/$kept", { content => "edited $when" }, @auth)->{status};
    $got{get} = api($shim, 'GET', "/api/notes/$kept", undef, @auth)->{status};
    $got{list} = api($shim, 'GET', '/api/notes', undef, @auth)->{status};
    $got{search} = api($shim, 'GET', '/api/notes?q=edited', undef, @auth)->{status};
    $got{tags} = api($shim, 'GET', '/api/tags', undef, @auth)->{status};
    $got{delete} = api($shim, 'DELETE', "/api/notes/$gone", undef, @auth)->{status};
    is_deeply(\%got, { login => 200, create => 201, create_more => 201, update => 200, get => 200,
                       list => 200, search => 200, tags => 200, delete => 204 }, "$when: every route answers as before");
};

register_and_login($shim, 'ulla', 'ullapassword');
$round->('at 1.1.2');
my $pid = $backend->();
like($pid, qr/^\d+$/, 'the shim holds one database connection');

FinoteTest::run_quiet('env', "DATABASE_URL=postgresql://postgres\@127.0.0.1:$pg_port/finote", "$ROOT/bin/finote-db", 'migrate');
is(psql($pg_port, 'finote', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $default, "migrated to $default");

# Before any /readyz or new connection tells the shim the new version, it
# runs the statements it prepared against 1.1.2's functions.
$round->('just after the migration, on the statements prepared at 1.1.2');
is($backend->(), $pid, 'on the same connection, so on the same prepared statements');
# /readyz tells the shim the new version (ready or not: a shim older than
# the database says it does not speak it), and from then on it uses its
# newest rows.
like(api($shim, 'GET', '/readyz')->{content}, qr/"extension_version":"\Q$default\E"|has finote \Q$default\E;/,
    "/readyz names $default");
$round->("at $default");

my $log = access_log($shim);
is(scalar(() = $log =~ m{^\S+ \S+ \S+ /api/\S* 5\d\d }mg), 0, 'no 5xx from the API in the access log');
unlike(slurp($shim->{err}), qr/cache lookup failed|does not exist|cached plan/, 'no plan-cache or lookup error on stderr');
stop_shim($shim);
done_testing();
