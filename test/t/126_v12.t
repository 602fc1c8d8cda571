# Extension 1.2 through the shim (shim/README.md): versions and ETags,
# If-Match and 412 with the current note, revisions, trash; 1.1 clients
# unchanged; the 1.1.3 shim, built from git history, against a 1.2 database;
# and this shim against a 1.1.2 database. The export and account deletion
# are 127_export_account.t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

my $pg_port = free_port();
my (undef, $dburl) = start_cluster('t126', $pg_port);
# every change keeps a revision here: the collapse of autosaves is the extension's (pg_regress)
psql($pg_port, 'postgres', 'ALTER DATABASE finote SET finote.revision_collapse = 0');
my $shim_port = free_port();
my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 'w' x 32);
my $r;

sub etag { my ($r) = @_; my $e = $r->{headers}{etag}; return ref $e ? join(',', @$e) : $e }
sub ids { my ($list) = @_; return [map { $_->{id} } @$list] }

# The database is at the default version (1.3), which keeps every 1.2 call.
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 200, 'ready at 1.3');
is($r->{json}{extension_version}, '1.3', '/readyz tells 1.3');

my ($login) = register_and_login($shim, 'alice', 'alicepassword');
my @auth = (Authorization => "Bearer $login->{json}{token}");

# --- versions and ETags ------------------------------------------------------
$r = api($shim, 'POST', '/api/notes', { title => 'plan', content => 'v1', tags => ['work'] }, @auth);
is($r->{status}, 201, 'create: 201');
is($r->{json}{note}{version}, 1, 'a new note is at version 1');
is(etag($r), '"1"', 'create: strong ETag "1"');
my $id = $r->{json}{note}{id};
$r = api($shim, 'GET', "/api/notes/$id", undef, @auth);
is(etag($r), '"1"', 'get: ETag');
is($r->{json}{note}{version}, 1, 'get: version in the body');
$r = api($shim, 'PATCH', "/api/notes/$id", { content => 'v2' }, @auth);
is($r->{status}, 200, 'patch without If-Match: 200 (1.1 behaviour)');
is(etag($r), '"2"', 'patch: ETag "2"');
$r = api($shim, 'PATCH', "/api/notes/$id", { content => 'v2' }, @auth);
is(etag($r), '"2"', 'a save that changes nothing keeps the version');

# --- If-Match ----------------------------------------------------------------
$r = api($shim, 'PATCH', "/api/notes/$id", { content => 'v3' }, @auth, 'If-Match' => '"2"');
is($r->{status}, 200, 'If-Match the current version: 200');
is(etag($r), '"3"', 'and the ETag moves on');
$r = api($shim, 'PATCH', "/api/notes/$id", { content => 'stale text' }, @auth, 'If-Match' => '"2"');
is($r->{status}, 412, 'If-Match a stale version: 412');
is($r->{json}{error}{code}, 'precondition_failed', '412: code');
like($r->{json}{error}{message}, qr/version/, '412: the message names versions');
unlike($r->{content}, qr/stale text/, '412: the refused text is not echoed');
is($r->{json}{note}{content}, 'v3', '412: the body holds the current note');
is($r->{json}{note}{version}, 3, '412: at its current version');
is(etag($r), '"3"', '412: with the current ETag');
is(api($shim, 'GET', "/api/notes/$id", undef, @auth)->{json}{note}{content}, 'v3', '412: nothing changed');
$r = api($shim, 'PATCH', "/api/notes/$id", { title => 'plan B' }, @auth, 'If-Match' => '*');
is($r->{status}, 200, 'If-Match *: no condition');
is(etag($r), '"4"', 'If-Match *: changed');
for my $bad ('W/"4"', '"4", "5"', '4', '""', '"04"', '"abc"', '"4', '"4" x', '* "4"',
    '"' . ('9' x 19) . '"')
{
    $r = api($shim, 'PATCH', "/api/notes/$id", { content => 'never' }, @auth, 'If-Match' => $bad);
    is($r->{status}, 400, "If-Match $bad: 400");
}
$r = api($shim, 'PATCH', "/api/notes/$id", { content => 'never' }, @auth, 'If-Match' => ['"4"', '"4"']);
is($r->{status}, 400, 'two If-Match headers: 400');
$r = api($shim, 'GET', "/api/notes/$id", undef, @auth);
is($r->{json}{note}{content}, 'v3', 'no malformed If-Match changed anything');
is(etag($r), '"4"', 'the version is where it was');
is(api($shim, 'PATCH', "/api/notes/$id", { content => 'x' }, @auth, 'If-Match' => '"999"')->{status}, 412,
    'a version from the future: 412');
$r = api($shim, 'OPTIONS', "/api/notes/$id", undef, Origin => 'http://elsewhere.example',
    'Access-Control-Request-Method' => 'PATCH');
is($r->{status}, 403, 'preflight from an unknown origin still refused');

# DELETE with If-Match: stale refused with the note, current moves it to the trash
$r = api($shim, 'POST', '/api/notes', { title => 'doomed', content => 'd1' }, @auth);
my $doomed = $r->{json}{note}{id};
api($shim, 'PATCH', "/api/notes/$doomed", { content => 'd2' }, @auth);
$r = api($shim, 'DELETE', "/api/notes/$doomed", undef, @auth, 'If-Match' => '"1"');
is($r->{status}, 412, 'DELETE with a stale If-Match: 412');
is($r->{json}{note}{content}, 'd2', 'DELETE 412: the current note');
is(etag($r), '"2"', 'DELETE 412: its ETag');
is(api($shim, 'GET', "/api/notes/$doomed", undef, @auth)->{status}, 200, 'DELETE 412: still there');
is(api($shim, 'DELETE', "/api/notes/$doomed", undef, @auth, 'If-Match' => 'W/"2"')->{status}, 400,
    'DELETE with a malformed If-Match: 400');
$r = api($shim, 'DELETE', "/api/notes/$doomed", undef, @auth, 'If-Match' => '"2"');
is($r->{status}, 204, 'DELETE with the current If-Match: 204');
is(api($shim, 'GET', "/api/notes/$doomed", undef, @auth)->{status}, 404, 'deleted: gone from GET');

# --- revisions ---------------------------------------------------------------
$r = api($shim, 'GET', "/api/notes/$id/revisions", undef, @auth);
is($r->{status}, 200, 'revisions: 200');
my @revs = @{ $r->{json}{revisions} };
is_deeply([map { $_->{version} } @revs], [3, 2, 1], 'one revision per replaced version, newest first');
ok(!exists $revs[0]{content} && $revs[0]{content_length} == 2, 'the list gives lengths, not content');
$r = api($shim, 'GET', "/api/notes/$id/revisions?limit=2", undef, @auth);
is(scalar @{ $r->{json}{revisions} }, 2, 'revisions: ?limit=');
ok($r->{json}{next_cursor}, 'revisions: a next cursor');
$r = api($shim, 'GET', "/api/notes/$id/revisions?limit=2&cursor=" . $r->{json}{next_cursor}, undef, @auth);
is_deeply([map { $_->{version} } @{ $r->{json}{revisions} }], [1], 'revisions: the next page');
my ($v1) = grep { $_->{version} == 1 } @revs;
$r = api($shim, 'GET', "/api/notes/$id/revisions/$v1->{id}", undef, @auth);
is($r->{status}, 200, 'one revision: 200');
is($r->{json}{content}, 'v1', 'one revision: its content');
is($r->{json}{note_id}, $id, 'one revision: its note');
is(api($shim, 'GET', "/api/notes/$id/revisions/00000000-0000-4000-8000-000000000000", undef, @auth)->{status},
    404, 'an unknown revision: 404');
is(api($shim, 'GET', "/api/notes/$id/revisions/not-a-uuid", undef, @auth)->{status}, 404,
    'a revision id that is no UUID: 404');
is(api($shim, 'POST', "/api/notes/$id/revisions/$v1->{id}/restore", undef, @auth, 'If-Match' => '"3"')->{status},
    412, 'restore with a stale If-Match: 412');
$r = api($shim, 'POST', "/api/notes/$id/revisions/$v1->{id}/restore", undef, @auth, 'If-Match' => '"4"');
is($r->{status}, 200, 'restore: 200');
is($r->{json}{note}{content}, 'v1', 'restore: the old content is back');
is(etag($r), '"5"', 'restore is a change: version 5');
$r = api($shim, 'GET', "/api/notes/$id/revisions?limit=1", undef, @auth);
my $undo = $r->{json}{revisions}[0];
is($undo->{version}, 4, 'the text the restore replaced is a revision');
$r = api($shim, 'POST', "/api/notes/$id/revisions/$undo->{id}/restore", undef, @auth);
is($r->{status}, 200, 'undo the restore');
is($r->{json}{note}{content}, 'v3', 'undo: the text before the restore is back');
is($r->{json}{note}{title}, 'plan B', 'undo: its title too');

# --- trash -------------------------------------------------------------------
$r = api($shim, 'GET', '/api/trash', undef, @auth);
is($r->{status}, 200, 'trash: 200');
is_deeply(ids($r->{json}{notes}), [$doomed], 'the deleted note is in the trash');
ok($r->{json}{notes}[0]{deleted_at}, 'with deleted_at');
$r = api($shim, 'POST', '/api/notes', { title => 'zebra', content => 'findme', tags => ['gone'] }, @auth);
my $zebra = $r->{json}{note}{id};
api($shim, 'DELETE', "/api/notes/$zebra", undef, @auth);
is_deeply(ids(api($shim, 'GET', '/api/trash', undef, @auth)->{json}{notes}), [$zebra, $doomed],
    'trash: newest deletion first');
ok(!grep({ $_ eq $zebra } @{ ids(api($shim, 'GET', '/api/notes', undef, @auth)->{json}{notes}) }),
    'a trashed note is not in the list');
is_deeply(api($shim, 'GET', '/api/notes?q=findme', undef, @auth)->{json}{notes}, [], 'nor found by search');
ok(!grep({ $_->{tag} eq 'gone' } @{ api($shim, 'GET', '/api/tags', undef, @auth)->{json}{tags} }),
    'nor counted in the tags');
is(api($shim, 'GET', "/api/notes/$zebra/revisions", undef, @auth)->{status}, 200,
    'a trashed note keeps its revisions');
$r = api($shim, 'POST', "/api/trash/$zebra/restore", undef, @auth);
is($r->{status}, 200, 'restore from the trash: 200');
is(etag($r), '"2"', 'restored: version + 1, as its ETag');
is(api($shim, 'GET', "/api/notes?q=findme", undef, @auth)->{json}{notes}[0]{id}, $zebra, 'restored: found again');
is(api($shim, 'POST', "/api/trash/$zebra/restore", undef, @auth)->{status}, 404,
    'restoring a note not in the trash: 404');
$r = api($shim, 'DELETE', "/api/trash/$doomed", undef, @auth);
is($r->{status}, 204, 'delete for good: 204');
is_deeply(api($shim, 'GET', '/api/trash', undef, @auth)->{json}{notes}, [], 'the trash is empty');
is(api($shim, 'GET', "/api/notes/$doomed/revisions", undef, @auth)->{status}, 404,
    'deleted for good: its revisions too');
is(psql($pg_port, 'finote', "SELECT count(*) FROM finote.revisions WHERE note_id = '$doomed'"), 0,
    'no revision row is left');
is(api($shim, 'DELETE', "/api/trash/$doomed", undef, @auth)->{status}, 404, 'deleted for good twice: 404');

# --- 1.1 clients, no If-Match: unchanged -----------------------------------------
$r = api($shim, 'POST', '/api/notes', { title => 'old client', content => 'c', pinned => JSON::PP::true, tags => ['Old'] }, @auth);
is($r->{status}, 201, '1.1 client: create');
my $old = $r->{json}{note}{id};
is_deeply($r->{json}{note}{tags}, ['old'], '1.1 client: tags as in 1.1');
is(api($shim, 'PATCH', "/api/notes/$old", { pinned => JSON::PP::false, tags => [] }, @auth)->{json}{note}{pinned},
    JSON::PP::false, '1.1 client: patch');
is(api($shim, 'GET', '/api/notes?tag=work', undef, @auth)->{json}{notes}[0]{id}, $id, '1.1 client: ?tag=');
is(api($shim, 'GET', '/api/notes?q=client', undef, @auth)->{json}{notes}[0]{id}, $old, '1.1 client: search');
is(api($shim, 'DELETE', "/api/notes/$old", undef, @auth)->{status}, 204, '1.1 client: delete');
is(api($shim, 'GET', "/api/notes/$old", undef, @auth)->{status}, 404, '1.1 client: deleted is gone');

logs_clean($shim, 'alicepassword', $login->{json}{token});
stop_shim($shim);

# --- the 1.1.3 shim, built from git history, against this 1.2 database --------
SKIP: {
    my $shallow = `git -C '$ROOT' rev-parse --is-shallow-repository 2>/dev/null`;
    chomp $shallow;
    # in a shallow clone the oldest commit there seems to add every file
    skip 'no git history here (a tarball, or a shallow clone): the 1.1.3 shim cannot be built from it', 1
      unless $shallow eq 'false';
    my $commit = `git -C '$ROOT' log --format=%H -1 -- sql/finote--1.1.2--1.1.3.sql`;
    chomp $commit;
    diag("the 1.1.3 shim: shim/ of $commit, the last commit to change sql/finote--1.1.2--1.1.3.sql (the 1.1.3 release)");
    my $tmp = tempdir(CLEANUP => 1);
    system("git -C '$ROOT' archive $commit shim | tar -x -C '$tmp'") == 0 or die 'git archive failed';
    system('make', '-s', '-C', "$tmp/shim", 'finote-shim', 'CFLAGS=-O0 -g') == 0 or die 'the 1.1.3 shim does not build';
    my $old_shim = do {
        local $ENV{FINOTE_SHIM_BIN} = "$tmp/shim/finote-shim";
        start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'w' x 32, tag => 'shim-1.1.3');
    };
    $r = api($old_shim, 'GET', '/readyz');
    like($r->{json}{error}{message} // '', qr/has finote 1\.3; this shim needs 1\.1\.3/,
        '1.1.3 shim: /readyz names the 1.3 database (it was built for 1.1.3)');
    my ($l) = register_and_login($old_shim, 'erin', 'erinpassword');
    my @e = (Authorization => "Bearer $l->{json}{token}");
    $r = api($old_shim, 'POST', '/api/notes', { title => 'from 1.1.3', content => 'c', pinned => JSON::PP::true, tags => ['a'] }, @e);
    is($r->{status}, 201, '1.1.3 shim: create');
    my $n = $r->{json}{note}{id};
    is($r->{json}{note}{version}, 1, '1.1.3 shim: passes the new version field through');
    is(api($old_shim, 'GET', "/api/notes/$n", undef, @e)->{json}{note}{title}, 'from 1.1.3', '1.1.3 shim: get');
    $r = api($old_shim, 'PATCH', "/api/notes/$n", { content => 'changed', tags => ['b'] }, @e);
    is($r->{status}, 200, '1.1.3 shim: patch');
    is_deeply($r->{json}{note}{tags}, ['b'], '1.1.3 shim: tags');
    is(api($old_shim, 'GET', '/api/notes?q=changed', undef, @e)->{json}{notes}[0]{id}, $n, '1.1.3 shim: search');
    is(api($old_shim, 'GET', '/api/notes?tag=b', undef, @e)->{json}{notes}[0]{id}, $n, '1.1.3 shim: ?tag=');
    is_deeply(api($old_shim, 'GET', '/api/tags', undef, @e)->{json}{tags}, [{ tag => 'b', count => 1 }], '1.1.3 shim: tags');
    is(api($old_shim, 'PUT', '/api/auth/password', { current_password => 'erinpassword', new_password => 'erinpassword2' }, @e)->{status},
        204, '1.1.3 shim: password change');
    is(api($old_shim, 'DELETE', "/api/notes/$n", undef, @e)->{status}, 204, '1.1.3 shim: delete');
    is(api($old_shim, 'GET', "/api/notes/$n", undef, @e)->{status}, 404, '1.1.3 shim: deleted');
    is(psql($pg_port, 'finote', "SELECT count(*) FROM finote.trash WHERE id = '$n'"), 1,
        "1.1.3 shim: its delete went to 1.2's trash");
    is(api($old_shim, 'GET', '/api/trash', undef, @e)->{status}, 404, '1.1.3 shim: knows no 1.2 route');
    is(api($old_shim, 'POST', '/api/auth/logout', undef, @e)->{status}, 204, '1.1.3 shim: logout');
    stop_shim($old_shim);
}

# --- this shim against a 1.1.2 database ----------------------------------------
my $pg_old = free_port();
my (undef, $old_url) = start_cluster('t126-112', $pg_old, version => '1.1.2');
$shim = start_shim(PORT => $shim_port, DATABASE_URL => $old_url, SESSION_SECRET => 'w' x 32);
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 503, '1.3 shim, 1.1.2 database: not ready');
like($r->{json}{error}{message}, qr/has finote 1\.1\.2; this shim needs 1\.3/, '/readyz names both versions');
my ($f) = register_and_login($shim, 'frank', 'frankpassword');
my @fa = (Authorization => "Bearer $f->{json}{token}");
$r = api($shim, 'POST', '/api/notes', { title => 't', content => 'c', tags => ['x'] }, @fa);
is($r->{status}, 201, '1.1.2: create');
ok(!defined etag($r), '1.1.2: no ETag (no version to give)');
my $fn = $r->{json}{note}{id};
is(api($shim, 'PATCH', "/api/notes/$fn", { content => 'c2' }, @fa, 'If-Match' => '"7"')->{status}, 200,
    '1.1.2: If-Match is not looked at by the 1.1 rows');
is(api($shim, 'GET', $_, undef, @fa)->{status}, 404, "1.1.2: $_ does not exist")
  for '/api/trash', '/api/export', "/api/notes/$fn/revisions";
is(api($shim, 'DELETE', '/api/auth/me', { password => 'frankpassword' }, @fa)->{status}, 405,
    '1.1.2: DELETE /api/auth/me is not there (405: GET is)');
is(api($shim, 'DELETE', "/api/notes/$fn", undef, @fa)->{status}, 204, '1.1.2: delete');
psql($pg_old, 'finote', "ALTER EXTENSION finote UPDATE TO '1.1.3'");
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 503, '1.3 shim, 1.1.3 database: not ready');
like($r->{json}{error}{message}, qr/has finote 1\.1\.3; this shim needs 1\.3 or a later patch/, '/readyz: 1.3 or a later patch');
psql($pg_old, 'finote', "ALTER EXTENSION finote UPDATE TO '1.2'");
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 503, 'after ALTER EXTENSION UPDATE TO 1.2: still not ready for a 1.3 shim');
is(api($shim, 'GET', '/api/trash', undef, @fa)->{status}, 200, 'but the 1.2 routes are there, without a restart');
psql($pg_old, 'finote', 'ALTER EXTENSION finote UPDATE');
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 200, 'after ALTER EXTENSION UPDATE to the default: ready');
is($r->{json}{extension_version}, '1.3', 'ready at 1.3');
is(api($shim, 'GET', '/api/trash', undef, @fa)->{status}, 200, 'the 1.2 routes at 1.3');
stop_shim($shim);
done_testing();
