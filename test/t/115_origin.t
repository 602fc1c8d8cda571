# Cross-site request forgery: a change made with the session cookie must
# come from the app's own origin or one in CORS_ORIGIN (issue 13, finding 5).
# Another site's form POST to logout, or its DELETE, is 403 and the session
# stays; the app's own requests, CORS_ORIGIN's, bearer tokens and JSON
# bodies go through.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;

my (undef, $dburl) = start_cluster('t115', free_port());
my $port = free_port();
my $shim = start_shim(PORT => $port, DATABASE_URL => $dburl, SESSION_SECRET => 'o' x 32,
    CORS_ORIGIN => 'https://app.example');
my $self = "http://127.0.0.1:$port";

my (undef, $cookie) = register_and_login($shim, 'olga', 'olgapassword');
my $token = api($shim, 'POST', '/api/auth/login', { username => 'olga', password => 'olgapassword' })
  ->{json}{token};
my $me = sub { api($shim, 'GET', '/api/auth/me', undef, Cookie => $_[0])->{status} };

# A form on another site posts to logout: the browser sends the cookie, a
# form body, Origin and Sec-Fetch-Site.
my @form = ('Content-Type' => 'application/x-www-form-urlencoded');
for my $case (
    ['another site, as a browser sends it', Origin => 'https://evil.example', 'Sec-Fetch-Site' => 'cross-site'],
    ['another site, Origin only',           Origin => 'https://evil.example'],
    ['another site, Sec-Fetch-Site only',   'Sec-Fetch-Site' => 'cross-site'],
    ['a sibling origin of the same site',   Origin => 'http://127.0.0.1:8080', 'Sec-Fetch-Site' => 'same-site'],
    ['an opaque origin',                    Origin => 'null'],
    ['another origin naming this host',     Origin => "http://127.0.0.1:$port.evil.example"])
{
    my ($what, @h) = @$case;
    my $r = api($shim, 'POST', '/api/auth/logout', 'x=1', Cookie => $cookie, @form, @h);
    is($r->{status}, 403, "logout from $what: 403");
    is($r->{json}{error}{code}, 'origin_not_allowed', "logout from $what: origin_not_allowed");
    ok(!defined $r->{headers}{'set-cookie'}, "logout from $what: the cookie is not cleared");
    is($me->($cookie), 200, "logout from $what: the session stays valid");
}

# the other change without a JSON body: DELETE
my $note = api($shim, 'POST', '/api/notes', { title => 'keep me' }, Cookie => $cookie)->{json}{note}{id};
my $r = api($shim, 'DELETE', "/api/notes/$note", undef, Cookie => $cookie,
    Origin => 'https://evil.example', 'Sec-Fetch-Site' => 'cross-site');
is($r->{status}, 403, 'DELETE from another site: 403');
is(api($shim, 'GET', "/api/notes/$note", undef, Cookie => $cookie)->{status}, 200,
    'DELETE from another site: the note is still there');

# A JSON body cannot come from another site without a preflight, which the
# shim refuses it: no Origin check, the 415 is the guard.
$r = api($shim, 'POST', '/api/notes', '{"title":"x"}', Cookie => $cookie,
    Origin => 'https://evil.example', 'Sec-Fetch-Site' => 'cross-site', @form);
is($r->{status}, 415, 'a form POST to a JSON route from another site: 415');
$r = api($shim, 'PATCH', "/api/notes/$note", { title => 'renamed' }, Cookie => $cookie,
    Origin => 'https://evil.example', 'Sec-Fetch-Site' => 'cross-site');
is($r->{status}, 200, 'a JSON body passes whatever it says of its origin');

# A bearer token is never sent by a browser on its own: not checked.
$r = api($shim, 'POST', '/api/auth/logout', undef, Authorization => "Bearer $token",
    Origin => 'https://evil.example', 'Sec-Fetch-Site' => 'cross-site');
is($r->{status}, 204, 'logout with a bearer token, whatever the origin: 204');
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => "Bearer $token")->{status}, 401,
    'the bearer logout ended the session');

# The app's own origin and CORS_ORIGIN's may log out.
for my $case (
    ['the same origin (Sec-Fetch-Site)', 'Sec-Fetch-Site' => 'same-origin', Origin => $self],
    ['the same origin (Origin only)',    Origin => $self],
    ['the user (Sec-Fetch-Site: none)',  'Sec-Fetch-Site' => 'none'],
    ['an origin in CORS_ORIGIN',         Origin => 'https://app.example', 'Sec-Fetch-Site' => 'cross-site'],
    ['a client that is no browser'])
{
    my ($what, @h) = @$case;
    my (undef, $c) = register_and_login($shim, 'olga' . int(rand(1e9)), 'olgapassword');
    $r = api($shim, 'POST', '/api/auth/logout', undef, Cookie => $c, @h);
    is($r->{status}, 204, "logout from $what: 204");
    like($r->{headers}{'set-cookie'} // '', qr/Max-Age=0/, "logout from $what: cookie cleared");
    is($me->($c), 401, "logout from $what: the session ended");
}
$r = api($shim, 'DELETE', "/api/notes/$note", undef, Cookie => $cookie,
    Origin => $self, 'Sec-Fetch-Site' => 'same-origin');
is($r->{status}, 204, 'DELETE from the same origin: 204');

logs_clean($shim, 'olgapassword', $token, ($cookie =~ /=(.*)/));
stop_shim($shim);
done_testing();
