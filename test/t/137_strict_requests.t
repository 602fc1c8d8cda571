# Issue 20, findings 6, 7 and 9: the shim reads a request one way only.
# - A folded header line (obs-fold), a line civetweb stopped at, a bare LF
#   line end: 400 and close, no second request smuggled in the body.
# - Content-Length is 1*DIGIT (trailing white space aside): 400 otherwise.
# - A body or query value that is not UTF-8: 400 from the shim, before the
#   database, and none of its bytes in the answer, the shim's logs or the
#   PostgreSQL log.
# - Two session cookies: 401. In production the cookie is __Host-prefixed
#   (FINOTE_COOKIE_HOST_PREFIX); the plain name still works until it expires.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;

my $pg_port = free_port();
my ($dir, $dburl) = start_cluster('t137', $pg_port);
my $pglog_start = length(slurp("$dir/postgres.log"));
my $secret = 'test-secret-' . ('c' x 40);
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => $secret);
my $port = $shim->{port};

# Every response in what came back: its status lines.
sub statuses { my ($raw) = @_; return [$raw =~ m{HTTP/1\.1 (\d{3}) }g] }

# ---- finding 6: framing
my $smuggle = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
my $len = length $smuggle;
for my $case (
    ['a folded line before Content-Length', "X-A: a\r\n b\r\nContent-Length: $len\r\n"],
    ['a folded line, tab', "X-A: a\r\n\tb\r\nContent-Length: $len\r\n"],
    ['a folded first line', " X-A: a\r\nContent-Length: $len\r\n"],
    ['a line with no name', ": a\r\nContent-Length: $len\r\n"],
    ['a line of a byte past ASCII', "\xe9: a\r\nContent-Length: $len\r\n"],
    ['a bare LF', "X-A: a\nContent-Length: $len\r\n"],
  )
{
    my ($what, $headers) = @$case;
    my $raw = raw_request($port, "POST /api/auth/logout HTTP/1.1\r\nHost: x\r\n$headers\r\n$smuggle", 3);
    is_deeply(statuses($raw), [400], "$what: one answer, 400");
    unlike($raw, qr/smuggled|404/, "$what: the body was not served as a request");
}
for my $value ('5x', '+5', '5, 5', '-5', '0x5', '5.0', '', '5 5', "\xd9\xa5") {
    my $raw = raw_request($port, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          . "Content-Length: $value\r\n\r\n{\"a\"}", 3);
    is_deeply(statuses($raw), [400], "Content-Length: '$value': 400");
}
my $creds = '{"username": "nobody", "password": "no password"}';
for my $value (length($creds), '0' . length($creds), length($creds) . ' ') {
    my $raw = raw_request($port, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          . "Content-Length: $value\r\nConnection: close\r\n\r\n$creds", 3);
    is_deeply(statuses($raw), [401], "Content-Length: '$value' is read (the login is tried)") or diag($raw);
}
my $raw = raw_request($port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3);
is_deeply(statuses($raw), [200, 200], 'well-formed pipelined requests are still served');
$raw = raw_request($port, "GET /healthz HTTP/1.0\r\n\r\n", 3);
is_deeply(statuses($raw), [200], 'a request without headers is still served');

# ---- finding 7: bytes that are not UTF-8
my @bad = ("\xe9\x58\x79", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe9");
for my $bytes (@bad) {
    my $hex = unpack('H*', $bytes);
    for my $case (['POST', '/api/auth/login', qq({"username": "alice", "password": "pw-$bytes-pw"})],
        ['POST', '/api/auth/register', qq({"username": "alice$bytes", "password": "long enough pw"})])
    {
        my ($method, $path, $body) = @$case;
        my $r = api($shim, $method, $path, $body);
        is($r->{status}, 400, "$path with $hex: 400");
        is($r->{json}{error}{code}, 'invalid_json', "$path with $hex: invalid_json");
        unlike($r->{content}, qr/\Q$bytes\E|0x[0-9a-f]{2}|\\u00e9|pw-/i, "$path with $hex: no byte of the body in the answer");
    }
}
my ($login) = register_and_login($shim, 'utf', 'utf password');
my $r = api($shim, 'GET', '/api/notes?q=%e9%58%79', undef, Authorization => "Bearer $login->{json}{token}");
is($r->{status}, 400, 'a query value that is not UTF-8: 400');
unlike($r->{content}, qr/0x|\xe9/, 'its bytes are not in the answer');
is(api($shim, 'POST', '/api/notes', { title => "caf\x{e9} \x{1F600}", content => "\x{10FFFF}" },
        Authorization => "Bearer $login->{json}{token}")->{status}, 201, 'valid UTF-8 up to U+10FFFF is taken');
my $pglog = substr(slurp("$dir/postgres.log"), $pglog_start);
unlike($pglog, qr/invalid byte sequence|0xe9|\xe9/, 'nothing of it reached the PostgreSQL log');
my $logs = access_log($shim) . slurp($shim->{err});
unlike($logs, qr/\xe9|0xe9|pw-/, "nothing of it is in the shim's logs");

# ---- finding 9: cookies
sub cookie_of {
    my ($r, $name) = @_;
    my $set = $r->{headers}{'set-cookie'} // [];
    for (ref $set ? @$set : $set) { return $1 if /^\Q$name\E=([^;]*)/ }
    return undef;
}
my ($l2, $pair) = register_and_login($shim, 'cookies', 'cookie password');
my ($other) = register_and_login($shim, 'planter', 'planter password');
my $planted = 'finote.sid=' . cookie_of($other, 'finote.sid');
is(api($shim, 'GET', '/api/auth/me', undef, Cookie => $pair)->{status}, 200, 'one session cookie: 200');
for my $cookies ("$planted; $pair", "$pair; $planted", "$pair; a=b; $pair", "finote.sid=junk; $pair") {
    $r = api($shim, 'GET', '/api/auth/me', undef, Cookie => $cookies);
    is($r->{status}, 401, "two session cookies ($cookies): 401");
}
$r = api($shim, 'POST', '/api/notes', { title => 't' }, Cookie => "$planted; $pair");
is($r->{status}, 401, 'two session cookies on a change: 401');

# Two Cookie headers, one cookie each: civetweb's mg_get_header sees only the first.
$raw = raw_request($port, "GET /api/auth/me HTTP/1.1\r\nHost: x\r\nCookie: $planted\r\nCookie: $pair\r\nConnection: close\r\n\r\n", 3);
is_deeply(statuses($raw), [401], 'two Cookie headers with a session each: 401');

# Production: __Host-finote.sid, the plain name read until it is gone.
my $prod = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => $secret, NODE_ENV => 'production');
$r = api($prod, 'POST', '/api/auth/login', { username => 'cookies', password => 'cookie password' });
my $host = cookie_of($r, '__Host-finote.sid');
ok($host, 'production sets __Host-finote.sid');
my @set = map { ref $_ ? @$_ : $_ } $r->{headers}{'set-cookie'};
ok((grep { /^__Host-finote\.sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/ } @set),
    'with Path=/, Secure and no Domain');
ok((grep { /^finote\.sid=; .*Max-Age=0/ } @set), 'and expires the plain-named cookie');
is(api($prod, 'GET', '/api/auth/me', undef, Cookie => "__Host-finote.sid=$host")->{json}{user}{username},
    'cookies', 'the prefixed cookie is the session');
is(api($prod, 'GET', '/api/auth/me', undef, Cookie => $pair)->{json}{user}{username},
    'cookies', 'a plain-named cookie from before still works');
is(api($prod, 'GET', '/api/auth/me', undef, Cookie => "$planted; __Host-finote.sid=$host")->{json}{user}{username},
    'cookies', 'beside a prefixed one, a plain-named cookie is not read');
is(api($prod, 'GET', '/api/auth/me', undef, Cookie => "__Host-finote.sid=$host; __Host-finote.sid=$host")->{status},
    401, 'two prefixed cookies: 401');
$r = api($prod, 'POST', '/api/auth/logout', undef, Cookie => "__Host-finote.sid=$host");
@set = map { ref $_ ? @$_ : $_ } $r->{headers}{'set-cookie'};
is(scalar(grep { /Max-Age=0/ } @set), 2, 'logout expires both names');
stop_shim($prod);
my $off = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => $secret, NODE_ENV => 'production',
    FINOTE_COOKIE_HOST_PREFIX => 0);
$r = api($off, 'POST', '/api/auth/login', { username => 'cookies', password => 'cookie password' });
ok(cookie_of($r, 'finote.sid') && !cookie_of($r, '__Host-finote.sid'), 'FINOTE_COOKIE_HOST_PREFIX=0: the plain name');
$r = api($shim, 'POST', '/api/auth/login', { username => 'cookies', password => 'cookie password' });
ok(cookie_of($r, 'finote.sid'), 'development (plain HTTP, no Secure): the plain name');
done_testing();
