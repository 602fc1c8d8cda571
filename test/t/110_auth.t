# Accounts and sessions over HTTP: register, login, me, password, logout;
# cookie flags, signed cookies, bearer tokens, every auth error status, and
# that neither log ever shows a password, token, cookie or the secret.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;

my (undef, $dburl) = start_cluster('t110', free_port());
my $secret = 'test-secret-' . ('s' x 40);
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => $secret);

sub db_uses {
    my $m = api($shim, 'GET', '/metrics')->{content};
    return metric_value($m, 'finote_db_pool_wait_seconds_count');
}

# register
my $r = api($shim, 'POST', '/api/auth/register', { username => 'Alice', password => 'secret123' });
is($r->{status}, 201, 'register: 201');
is($r->{headers}{'content-type'}, 'application/json; charset=utf-8', 'register: JSON content type');
is($r->{json}{user}{username}, 'Alice', 'register: user as typed');
like($r->{json}{user}{id}, qr/^[0-9a-f-]{36}$/, 'register: user id');
ok($r->{json}{user}{created_at}, 'register: created_at');
is_deeply([sort keys %{ $r->{json}{user} }], [qw(created_at id username)], 'register: no hash in user');

$r = api($shim, 'POST', '/api/auth/register', { username => 'alice', password => 'secret123' });
is($r->{status}, 409, 'register taken (case-insensitive): 409');
is($r->{json}{error}{code}, 'username_taken', 'register taken: code');

for my $case (
    [{ username => 'a', password => 'secret123' }, 'too short a username'],
    [{ username => 'bad name', password => 'secret123' }, 'a space in the username'],
    [{ username => 'carol', password => 'short' }, 'a short password'],
    [{ username => 'carol' }, 'no password'],
    ['{"username": "carol", "password": ', 'malformed JSON'],
    ['["carol", "secret123"]', 'a JSON array'],
    ['', 'an empty body'],
  )
{
    my ($body, $what) = @$case;
    $r = api($shim, 'POST', '/api/auth/register', $body);
    is($r->{status}, 400, "register with $what: 400");
    like($r->{json}{error}{code} // '', qr/^invalid_(input|json)$/, "register with $what: code");
    ok(length($r->{json}{error}{message} // ''), "register with $what: message");
}
$r = api($shim, 'POST', '/api/auth/register', '{"username":"carol","password":"secret123"}',
    'Content-Type' => 'text/plain');
is($r->{status}, 415, 'register with text/plain: 415');
is($r->{json}{error}{code}, 'unsupported_media_type', '415 code');

# login, and the cookie it sets
$r = api($shim, 'POST', '/api/auth/login', { username => 'alice', password => 'secret123' });
is($r->{status}, 200, 'login: 200');
is($r->{json}{user}{username}, 'Alice', 'login: user');
my $token = $r->{json}{token};
ok(length($token) >= 32, 'login: token');
ok($r->{json}{expires_at}, 'login: expires_at');
my $set = $r->{headers}{'set-cookie'};
like($set, qr/^finote\.sid=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/, 'login: signed cookie');
like($set, qr/; HttpOnly/, 'cookie: HttpOnly');
like($set, qr/; SameSite=Lax/, 'cookie: SameSite=Lax');
like($set, qr/; Path=\//, 'cookie: Path=/');
like($set, qr/; Max-Age=[1-9]\d*/, 'cookie: Max-Age');
unlike($set, qr/Secure/, 'cookie: not Secure outside production');
unlike($set, qr/\Q$token\E/, 'cookie: not the bare token');
my ($cookie) = $set =~ /^([^;]+)/;

$r = api($shim, 'GET', '/api/auth/me', undef, Cookie => $cookie);
is($r->{status}, 200, 'me with cookie: 200');
is($r->{json}{user}{username}, 'Alice', 'me with cookie: user');
$r = api($shim, 'GET', '/api/auth/me', undef, Cookie => "other=1; $cookie; x=y");
is($r->{status}, 200, 'me with cookie among others: 200');
$r = api($shim, 'GET', '/api/auth/me', undef, Authorization => "Bearer $token");
is($r->{status}, 200, 'me with bearer token: 200');
is($r->{json}{user}{username}, 'Alice', 'me with bearer: user');

$r = api($shim, 'GET', '/api/auth/me');
is($r->{status}, 401, 'me without session: 401');
is($r->{json}{error}{code}, 'unauthorized', 'me without session: code');
$r = api($shim, 'GET', '/api/auth/me', undef, Authorization => 'Bearer not-a-real-token');
is($r->{status}, 401, 'me with unknown bearer token: 401');
$r = api($shim, 'GET', '/api/auth/me', undef, Authorization => "Basic $token");
is($r->{status}, 401, 'me with another auth scheme: 401');

# a tampered or forged cookie is refused before any database work
my $before = db_uses();
my ($name, $value) = split /=/, $cookie, 2;
my ($tok64, $mac) = split /\./, $value;
my $flip = substr($tok64, 0, 1) eq 'A' ? 'B' : 'A';
for my $bad ("$name=$flip" . substr($tok64, 1) . ".$mac", "$name=$tok64." . reverse($mac),
    "$name=$token", "$name=$tok64", "$name=.$mac", "$name=", "$name=" . ('x' x 3000))
{
    $r = api($shim, 'GET', '/api/auth/me', undef, Cookie => $bad);
    is($r->{status}, 401, 'tampered cookie: 401');
}
is(db_uses(), $before, 'tampered cookies never reached the database');

# credentials: unknown user and wrong password read alike
my $wrong = api($shim, 'POST', '/api/auth/login', { username => 'alice', password => 'wrong-password' });
my $nouser = api($shim, 'POST', '/api/auth/login', { username => 'nobody', password => 'wrong-password' });
is($wrong->{status}, 401, 'wrong password: 401');
is($wrong->{json}{error}{code}, 'invalid_credentials', 'wrong password: code');
is($nouser->{status}, 401, 'unknown user: 401');
is($nouser->{content}, $wrong->{content}, 'unknown user and wrong password: same body');
ok(!$wrong->{headers}{'set-cookie'}, 'failed login sets no cookie');

# throttling: the 6th attempt fails even with the right password
api($shim, 'POST', '/api/auth/register', { username => 'bob', password => 'bobpassword' });
api($shim, 'POST', '/api/auth/login', { username => 'bob', password => "wrong$_" }) for 1 .. 5;
$r = api($shim, 'POST', '/api/auth/login', { username => 'bob', password => 'bobpassword' });
is($r->{status}, 429, 'sixth attempt: 429');
is($r->{json}{error}{code}, 'too_many_attempts', '429 code');

# change the password: other sessions end
$r = api($shim, 'POST', '/api/auth/login', { username => 'Alice', password => 'secret123' });
my $token2 = $r->{json}{token};
$r = api($shim, 'PUT', '/api/auth/password', { current_password => 'nope-nope', new_password => 'newsecret456' },
    Authorization => "Bearer $token2");
is($r->{status}, 401, 'password change with a wrong current password: 401');
$r = api($shim, 'PUT', '/api/auth/password', { current_password => 'secret123', new_password => 'x' },
    Authorization => "Bearer $token2");
is($r->{status}, 400, 'password change to a short password: 400');
$r = api($shim, 'PUT', '/api/auth/password', { current_password => 'secret123', new_password => 'newsecret456' });
is($r->{status}, 401, 'password change without a session: 401');
$r = api($shim, 'PUT', '/api/auth/password', { current_password => 'secret123', new_password => 'newsecret456' },
    Authorization => "Bearer $token2");
is($r->{status}, 204, 'password change: 204');
is($r->{content} // '', '', 'password change: no body');
is(api($shim, 'GET', '/api/auth/me', undef, Cookie => $cookie)->{status}, 401, 'other session revoked');
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => "Bearer $token2")->{status}, 200,
    'the changing session stays');
is(api($shim, 'POST', '/api/auth/login', { username => 'alice', password => 'newsecret456' })->{status},
    200, 'login with the new password');

# logout
$r = api($shim, 'POST', '/api/auth/login', { username => 'alice', password => 'newsecret456' });
my $token3 = $r->{json}{token};
my ($cookie3) = $r->{headers}{'set-cookie'} =~ /^([^;]+)/;
$r = api($shim, 'POST', '/api/auth/logout', undef, Cookie => $cookie3);
is($r->{status}, 204, 'logout: 204');
like($r->{headers}{'set-cookie'}, qr/^finote\.sid=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/,
    'logout clears the cookie');
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => "Bearer $token3")->{status}, 401,
    'logged-out token: 401');
$r = api($shim, 'POST', '/api/auth/logout');
is($r->{status}, 204, 'logout without a session: 204');
like($r->{headers}{'set-cookie'}, qr/Max-Age=0/, 'logout without a session clears the cookie');
$r = api($shim, 'POST', '/api/auth/logout', undef, Authorization => 'Bearer unknown');
is($r->{status}, 204, 'logout with an unknown token: 204');

# production: Secure cookies, and a custom cookie name
my $prod = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => $secret,
    NODE_ENV => 'production', SESSION_NAME => 'sid');
$r = api($prod, 'POST', '/api/auth/login', { username => 'alice', password => 'newsecret456' });
is($r->{status}, 200, 'production login: 200');
# __Host- in front of the name (FINOTE_COOKIE_HOST_PREFIX), the plain one expired
my @set = @{ $r->{headers}{'set-cookie'} };
like($set[0], qr/^__Host-sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/,
    'production cookie: __Host-SESSION_NAME, Secure');
is($set[1], 'sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure', 'and the plain name expired');
my ($pcookie) = $set[0] =~ /^([^;]+)/;
is(api($prod, 'GET', '/api/auth/me', undef, Cookie => $pcookie)->{status}, 200, 'production cookie works');
is(api($prod, 'GET', '/api/auth/me', undef, Cookie => $cookie3 =~ s/^finote\.sid/sid/r)->{status}, 401,
    'a logged-out cookie stays out');
is(api($shim, 'GET', '/api/auth/me', undef, Cookie => $pcookie =~ s/^__Host-sid/finote.sid/r)->{status}, 200,
    'same secret, same signature: cookies move between shims');
is_deeply(api($prod, 'POST', '/api/auth/logout', undef, Cookie => $pcookie)->{headers}{'set-cookie'},
    ['__Host-sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure', 'sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure'],
    'production logout clears both names, with Secure');

for my $s ($shim, $prod) {
    logs_clean($s, 'secret123', 'newsecret456', 'bobpassword', 'wrong-password', $secret,
        $token, $token2, $token3, $value, $mac);
}
stop_shim($prod);
stop_shim($shim);
done_testing();
