# Notes over HTTP: create, get, list (search, limit, cursor), update,
# delete; other users' notes are not found; every error status of the rows.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;

my (undef, $dburl) = start_cluster('t120', free_port());
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'n' x 32);

my (undef, $cookie) = register_and_login($shim, 'nina', 'ninapassword');
my ($l2) = register_and_login($shim, 'otto', 'ottopassword');
my $otto = "Bearer $l2->{json}{token}";
my @as_nina = (Cookie => $cookie);

# create
my $r = api($shim, 'POST', '/api/notes', { title => 'Groceries', content => 'milk, eggs' }, @as_nina);
is($r->{status}, 201, 'create: 201');
my $note = $r->{json}{note};
is($note->{title}, 'Groceries', 'create: title');
is($note->{content}, 'milk, eggs', 'create: content');
like($note->{id}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'create: id');
ok($note->{created_at} && $note->{updated_at}, 'create: timestamps');
my $id = $note->{id};

$r = api($shim, 'POST', '/api/notes', { title => "Caf\x{e9} \x{2603}", content => "line 1\nline \"2\"" }, @as_nina);
is($r->{status}, 201, 'create with unicode and quotes: 201');
is($r->{json}{note}{title}, "Caf\x{e9} \x{2603}", 'unicode title round-trips');
is($r->{json}{note}{content}, "line 1\nline \"2\"", 'escapes round-trip');
my $id2 = $r->{json}{note}{id};

$r = api($shim, 'POST', '/api/notes', {}, @as_nina);
is($r->{status}, 201, 'create with no fields: 201 (empty note)');
is($r->{json}{note}{title}, '', 'empty title');
my $id3 = $r->{json}{note}{id};

$r = api($shim, 'POST', '/api/notes', { title => 't' x 201, content => '' }, @as_nina);
is($r->{status}, 400, 'create with a 201-character title: 400');
is($r->{json}{error}{code}, 'invalid_input', 'long title: code');
$r = api($shim, 'POST', '/api/notes', { title => 'x', content => 'c' x 100_001 }, @as_nina);
is($r->{status}, 400, 'create with too much content: 400');
$r = api($shim, 'POST', '/api/notes', '{"title": "x"', @as_nina);
is($r->{status}, 400, 'create with malformed JSON: 400');
$r = api($shim, 'POST', '/api/notes', { title => 'x' });
is($r->{status}, 401, 'create without a session: 401');
$r = api($shim, 'POST', '/api/notes', '{"title":"x"}', @as_nina, 'Content-Type' => 'text/plain');
is($r->{status}, 415, 'create with text/plain: 415');
$r = api($shim, 'POST', '/api/notes', '{"title":"x"}', @as_nina, 'Content-Type' => 'application/json; charset=utf-8');
is($r->{status}, 201, 'create with a charset parameter: 201');
api($shim, 'DELETE', "/api/notes/$r->{json}{note}{id}", undef, @as_nina);

# get
$r = api($shim, 'GET', "/api/notes/$id", undef, @as_nina);
is($r->{status}, 200, 'get: 200');
is_deeply($r->{json}{note}, $note, 'get: the created note');
$r = api($shim, 'GET', "/api/notes/" . uc($id), undef, @as_nina);
is($r->{status}, 200, 'get with an upper-case id: 200');
$r = api($shim, 'GET', "/api/notes/$id", undef, Authorization => $otto);
is($r->{status}, 404, "another user's note: 404");
is($r->{json}{error}{code}, 'not_found', "another user's note: code");
my $missing = api($shim, 'GET', '/api/notes/00000000-0000-0000-0000-000000000000', undef, Authorization => $otto);
is($missing->{status}, 404, 'a missing note: 404');
is($missing->{content}, $r->{content}, "another user's note reads exactly like a missing one");
$r = api($shim, 'GET', '/api/notes/not-a-uuid', undef, @as_nina);
is($r->{status}, 404, 'a malformed id: 404');
$r = api($shim, 'GET', "/api/notes/$id", undef);
is($r->{status}, 401, 'get without a session: 401');

# update
$r = api($shim, 'PATCH', "/api/notes/$id", { content => 'milk, eggs, bread' }, @as_nina);
is($r->{status}, 200, 'patch content: 200');
is($r->{json}{note}{title}, 'Groceries', 'patch: title kept');
is($r->{json}{note}{content}, 'milk, eggs, bread', 'patch: content changed');
$r = api($shim, 'PATCH', "/api/notes/$id", { title => 'Shopping', content => undef }, @as_nina);
is($r->{json}{note}{title}, 'Shopping', 'patch title (null content): title changed');
is($r->{json}{note}{content}, 'milk, eggs, bread', 'patch: null leaves content');
$r = api($shim, 'PATCH', "/api/notes/$id", { title => 'hijack' }, Authorization => $otto);
is($r->{status}, 404, "patch another user's note: 404");
$r = api($shim, 'PATCH', "/api/notes/$id", { title => 'x' x 300 }, @as_nina);
is($r->{status}, 400, 'patch with a long title: 400');
$r = api($shim, 'PATCH', "/api/notes/$id", 'title=x', @as_nina, 'Content-Type' => 'application/x-www-form-urlencoded');
is($r->{status}, 415, 'patch with a form body: 415');

# list, search, paging
api($shim, 'POST', '/api/notes', { title => "note $_", content => "paging body $_" }, @as_nina) for 1 .. 5;
$r = api($shim, 'GET', '/api/notes', undef, @as_nina);
is($r->{status}, 200, 'list: 200');
is(scalar @{ $r->{json}{notes} }, 8, 'list: all 8 notes');
ok(exists $r->{json}{next_cursor}, 'list: next_cursor present');
is($r->{json}{notes}[0]{title}, 'note 5', 'list: newest first');
$r = api($shim, 'GET', '/api/notes?q=SHOPPING', undef, @as_nina);
is_deeply([map { $_->{id} } @{ $r->{json}{notes} }], [$id], 'search is case-insensitive');
$r = api($shim, 'GET', '/api/notes?q=caf%C3%A9', undef, @as_nina);
is_deeply([map { $_->{id} } @{ $r->{json}{notes} }], [$id2], 'search with an encoded word');
$r = api($shim, 'GET', '/api/notes?q=&limit=&cursor=', undef, @as_nina);
is(scalar @{ $r->{json}{notes} }, 8, 'empty parameters mean defaults');

my (@seen, $cursor);
for my $page (1 .. 10) {
    my $qs = '?limit=3' . (defined $cursor ? "&cursor=$cursor" : '');
    $r = api($shim, 'GET', "/api/notes$qs", undef, @as_nina);
    is($r->{status}, 200, "page $page: 200");
    ok(@{ $r->{json}{notes} } <= 3, "page $page: at most 3");
    push @seen, map { $_->{id} } @{ $r->{json}{notes} };
    $cursor = $r->{json}{next_cursor};
    last unless defined $cursor;
    $cursor =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
}
is(scalar @seen, 8, 'paging: every note once');
my %uniq = map { $_ => 1 } @seen;
is(scalar keys %uniq, 8, 'paging: no repeats');

for my $bad ('limit=abc', 'limit=0', 'limit=101', 'cursor=garbage') {
    $r = api($shim, 'GET', "/api/notes?$bad", undef, @as_nina);
    is($r->{status}, 400, "list with $bad: 400");
}
# a NUL (%00) is refused, not taken as the end of the value or of the id
for my $bad ('limit=1%00', 'q=a%00b', 'cursor=%00', 'tag=%00', 'limit=%00') {
    $r = api($shim, 'GET', "/api/notes?$bad", undef, @as_nina);
    is($r->{status}, 400, "list with $bad: 400");
    is($r->{json}{error}{code}, 'invalid_input', "list with $bad: invalid_input");
}
for my $m ('GET', 'PATCH', 'DELETE') {
    $r = api($shim, $m, "/api/notes/$id%00", $m eq 'PATCH' ? { title => 'cut' } : undef, @as_nina);
    is($r->{status}, 400, "$m /api/notes/{id}%00: 400");
    is($r->{json}{error}{code}, 'invalid_input', "$m /api/notes/{id}%00: invalid_input");
}
is(api($shim, 'GET', "/api/notes/$id", undef, @as_nina)->{json}{note}{title}, 'Shopping',
    'a PATCH with a NUL in the id changed nothing');
$r = api($shim, 'GET', '/api/notes?q=' . ('x' x 5000), undef, @as_nina);
is($r->{status}, 400, 'list with an over-long query parameter: 400');
$r = api($shim, 'GET', '/api/notes', undef, Authorization => $otto);
is(scalar @{ $r->{json}{notes} }, 0, "otto sees none of nina's notes");
is(api($shim, 'GET', '/api/notes')->{status}, 401, 'list without a session: 401');

# delete
$r = api($shim, 'DELETE', "/api/notes/$id", undef, Authorization => $otto);
is($r->{status}, 404, "delete another user's note: 404");
$r = api($shim, 'DELETE', "/api/notes/$id", undef, @as_nina);
is($r->{status}, 204, 'delete: 204');
is($r->{content} // '', '', 'delete: no body');
is(api($shim, 'GET', "/api/notes/$id", undef, @as_nina)->{status}, 404, 'deleted note: 404');
is(api($shim, 'DELETE', "/api/notes/$id", undef, @as_nina)->{status}, 404, 'delete again: 404');
is(api($shim, 'PATCH', "/api/notes/$id", { title => 'x' }, @as_nina)->{status}, 404, 'patch deleted: 404');
api($shim, 'DELETE', "/api/notes/$_", undef, @as_nina) for $id2, $id3;

# every row that needs a session: 401 without one, and without touching the body
my $nid = '00000000-0000-0000-0000-000000000000';
for my $row (['GET', '/api/auth/me'], ['PUT', '/api/auth/password', {}], ['GET', '/api/notes'],
    ['POST', '/api/notes', {}], ['GET', "/api/notes/$nid"], ['PATCH', "/api/notes/$nid", {}],
    ['DELETE', "/api/notes/$nid"], ['GET', '/api/tags'])
{
    my ($m, $p, $b) = @$row;
    $r = api($shim, $m, $p, $b);
    is($r->{status}, 401, "$m $p without a session: 401");
    is($r->{json}{error}{code}, 'unauthorized', "$m $p without a session: code");
}

logs_clean($shim, 'ninapassword', 'ottopassword', $l2->{json}{token}, ($cookie =~ /=(.*)/));
stop_shim($shim);
done_testing();
