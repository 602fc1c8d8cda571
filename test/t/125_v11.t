# Extension 1.1 through the shim (extension/README.md, Versions and upgrades): one shim serves a 1.0
# database with the 1.0 rows, and after ALTER EXTENSION finote UPDATE the
# same database with pinned notes and tags, without a restart.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
my $shim_port = free_port();

my $pg_port = free_port();
my (undef, $dburl) = start_cluster('t125', $pg_port, version => '1.0');
my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 'v' x 32);
my ($login) = register_and_login($shim, 'vera', 'verapassword');
my @auth = (Authorization => "Bearer $login->{json}{token}");
my $r;

# at 1.0: not ready (this shim is built for 1.2), but no request fails
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 503, 'a 1.2 shim facing a 1.0 database is not ready');
is($r->{json}{error}{code}, 'extension_version_unsupported', 'and says why');
like($r->{json}{error}{message}, qr/has finote 1\.0; this shim needs 1\.3/, 'naming both versions');
$r = api($shim, 'POST', '/api/notes', { title => 'old', content => 'from 1.0', pinned => JSON::PP::true, tags => ['x'] }, @auth);
is($r->{status}, 201, '1.0: create (pinned and tags are not known yet)');
ok(!exists $r->{json}{note}{pinned}, '1.0: a 1.0 note has no pinned field');
my $old = $r->{json}{note}{id};
is(api($shim, 'GET', '/api/tags', undef, @auth)->{status}, 404, '1.0: /api/tags does not exist');
is(api($shim, 'GET', '/api/notes?tag=zzz', undef, @auth)->{json}{notes}[0]{id}, $old, '1.0: tag is not a filter');

# the operator migrates; the running shim follows
psql($pg_port, 'finote', 'ALTER EXTENSION finote UPDATE');
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 200, 'ready after the update');
is($r->{json}{extension_version}, '1.3', '/readyz tells the newest version, 1.3');
$r = api($shim, 'GET', '/api/tags', undef, @auth);
is($r->{status}, 200, '1.1: /api/tags');
is_deeply($r->{json}, { tags => [] }, '1.1: no tags yet');
$r = api($shim, 'GET', "/api/notes/$old", undef, @auth);
is($r->{json}{note}{title}, 'old', 'the 1.0 note survived');
is($r->{json}{note}{pinned}, JSON::PP::false, 'the 1.0 note is not pinned');
is_deeply($r->{json}{note}{tags}, [], 'the 1.0 note has no tags');

$r = api($shim, 'POST', '/api/notes', { title => 'work', content => 'c', pinned => JSON::PP::true, tags => ['Work', 'home'] }, @auth);
is($r->{status}, 201, '1.1: create pinned with tags');
is($r->{json}{note}{pinned}, JSON::PP::true, '1.1: pinned');
is_deeply($r->{json}{note}{tags}, ['home', 'work'], '1.1: tags lower-cased and sorted');
my $pinned = $r->{json}{note}{id};
$r = api($shim, 'POST', '/api/notes', { title => 'newest', tags => ['work'] }, @auth);
my $newest = $r->{json}{note}{id};
is($r->{json}{note}{pinned}, JSON::PP::false, '1.1: not pinned by default');

$r = api($shim, 'GET', '/api/notes', undef, @auth);
is_deeply([map { $_->{id} } @{ $r->{json}{notes} }], [$pinned, $newest, $old], '1.1: pinned first, then newest');
$r = api($shim, 'GET', '/api/notes?tag=WORK', undef, @auth);
is_deeply([map { $_->{id} } @{ $r->{json}{notes} }], [$pinned, $newest], '1.1: ?tag= filters');
$r = api($shim, 'GET', '/api/tags', undef, @auth);
is_deeply($r->{json}, { tags => [{ tag => 'home', count => 1 }, { tag => 'work', count => 2 }] }, '1.1: tags with counts');

$r = api($shim, 'PATCH', "/api/notes/$pinned", { pinned => JSON::PP::false, tags => [] }, @auth);
is($r->{status}, 200, '1.1: patch');
is($r->{json}{note}{pinned}, JSON::PP::false, '1.1: unpinned');
is_deeply($r->{json}{note}{tags}, [], '1.1: [] clears the tags');
is($r->{json}{note}{title}, 'work', '1.1: title kept');
$r = api($shim, 'PATCH', "/api/notes/$pinned", { title => 't2', pinned => undef, tags => undef }, @auth);
is($r->{json}{note}{title}, 't2', '1.1: null pinned and tags leave them');
is_deeply($r->{json}{note}{tags}, [], '1.1: still no tags');

for my $case ([{ tags => 'work' }, 'tags as a string'], [{ pinned => 'yes' }, 'pinned as a string'],
    [{ pinned => 1 }, 'pinned as a number'], [{ tags => [map { "t$_" } 1 .. 21] }, '21 tags'],
    [{ tags => ['a,b'] }, 'a comma in a tag'], [{ tags => ['x' x 33] }, 'a 33-character tag'],
    [{ tags => [''] }, 'an empty tag'], [{ tags => { a => 1 } }, 'tags as an object'])
{
    $r = api($shim, 'POST', '/api/notes', { title => 'bad', %{ $case->[0] } }, @auth);
    is($r->{status}, 400, "1.1: $case->[1]: 400");
    is($r->{json}{error}{code}, 'invalid_input', "1.1: $case->[1]: code");
}
is(api($shim, 'GET', '/api/tags')->{status}, 401, '1.1: /api/tags without a session: 401');
is(api($shim, 'POST', '/api/tags')->{status}, 405, '1.1: POST /api/tags: 405');
stop_shim($shim);

# a shim started against a 1.1 database knows it from its first API request
$shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 'v' x 32);
is(api($shim, 'GET', '/api/tags', undef, @auth)->{status}, 200, 'a fresh shim serves /api/tags at once');
logs_clean($shim, 'verapassword', $login->{json}{token});
stop_shim($shim);
done_testing();
