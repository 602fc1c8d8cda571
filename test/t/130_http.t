# The HTTP edges: 404/405 in JSON, body and header limits, 415, slow and
# broken bodies, Expect: 100-continue, keep-alive, security headers, the
# 500 path, and garbage that must not crash the shim.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);
my $pg_port = free_port();

my $port = free_port();
my (undef, $dburl) = start_cluster('t130', $pg_port);
my $shim = start_shim(PORT => $port, DATABASE_URL => $dburl, SESSION_SECRET => 'h' x 32,
    FINOTE_REQUEST_TIMEOUT_MS => 2000);
my (undef, $cookie) = register_and_login($shim, 'hank', 'hankpassword');

sub alive { is(api($shim, 'GET', '/healthz')->{status}, 200, "still alive: $_[0]") }

sub head_and_body {
    my ($resp) = @_;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d+)};
    return ($status // 0, $head // '', $body // '');
}

my %security = (
    'content-security-policy' => "default-src 'self'; script-src 'self'; style-src 'self'; "
      . "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    'x-content-type-options' => 'nosniff',
    'referrer-policy'        => 'no-referrer',
    'x-frame-options'        => 'DENY',
);

# 404 and 405, always JSON, always with the security headers
for my $path ('/nope', '/api', '/api/nope', '/api/notes/', '/api/auth', '/healthz/x', '/', '/index.html') {
    my $r = api($shim, 'GET', $path);
    is($r->{status}, 404, "GET $path: 404");
    is($r->{json}{error}{code}, 'not_found', "GET $path: JSON code");
    is($r->{headers}{'content-type'}, 'application/json; charset=utf-8', "GET $path: JSON type");
}
for my $case (['PUT', '/api/notes', 'GET, POST'], ['GET', '/api/auth/login', 'POST'],
    ['POST', '/api/notes/00000000-0000-0000-0000-000000000000', 'GET, PATCH, DELETE'],
    ['POST', '/healthz', 'GET'], ['DELETE', '/metrics', 'GET'], ['PATCH', '/api/auth/me', 'GET, DELETE'],
    ['HEAD', '/api/auth/me', 'GET, DELETE'])
{
    my ($m, $path, $allow) = @$case;
    my $r = api($shim, $m, $path);
    is($r->{status}, 405, "$m $path: 405");
    is($r->{headers}{allow}, $allow, "$m $path: Allow: $allow");
    is($r->{json}{error}{code}, 'method_not_allowed', "$m $path: code") unless $m eq 'HEAD';
}
for my $path ('/healthz', '/nope', '/api/auth/me') {
    my $r = api($shim, 'GET', $path);
    is($r->{headers}{$_}, $security{$_}, "$path: $_") for sort keys %security;
    is($r->{headers}{'cache-control'}, 'no-store', "$path: Cache-Control: no-store");
}
my $r = api($shim, 'OPTIONS', '/api/notes');
is($r->{status}, 204, 'OPTIONS without CORS: 204');
is($r->{headers}{allow}, 'GET, POST', 'OPTIONS: Allow');

# body limits
my $big = '{"title":"' . ('x' x (1024 * 1024)) . '"}';
$r = api($shim, 'POST', '/api/notes', $big, Cookie => $cookie);
is($r->{status}, 413, 'a body over 1 MiB: 413');
is($r->{json}{error}{code}, 'payload_too_large', '413 code');
$r = api($shim, 'POST', '/api/notes', '{"title":"' . ('x' x (1024 * 1024 - 13)) . '"}', Cookie => $cookie);
is($r->{status}, 400, 'a body of exactly 1 MiB is read (and the title is too long): 400');
$r = api($shim, 'POST', '/api/notes', 'x' x (8 * 1024 * 1024), Cookie => $cookie);
is($r->{status}, 413, 'an 8 MiB body: 413, readable by a client that sends it all');
alive('after big bodies');

my $chunk = sprintf("%x\r\n%s\r\n", 65536, 'x' x 65536);
my ($status) = head_and_body(raw_request($port,
    "POST /api/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      . ($chunk x 17) . "0\r\n\r\n"));
is($status, 413, 'a chunked body over 1 MiB: 413');

($status) = head_and_body(raw_request($port,
    "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      . "Content-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n", 5));
is($status, 413, 'Expect: 100-continue with a huge length: 413 at once, nothing read');

my $json = '{"username":"chunky","password":"chunkypassword"}';
my ($st, $head, $body) = head_and_body(raw_request($port,
    "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      . join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } unpack('(A7)*', $json)) . "0\r\n\r\n"));
is($st, 201, 'a chunked JSON body: 201');
like($body, qr/"chunky"/, 'a chunked body is read whole');

my $s = IO::Socket::INET->new("127.0.0.1:$port") or die;
$json = '{"username":"patient","password":"patientpassword"}';
print $s "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
  . "Content-Length: " . length($json) . "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
my $interim = '';
sysread($s, $interim, 100);
like($interim, qr{^HTTP/1\.1 100 Continue\r\n\r\n}, 'Expect: 100-continue gets 100 Continue');
print $s $json;
my $rest = do { local $/; <$s> };
like($rest, qr{^HTTP/1\.1 201 }, '... and then the answer');
close $s;

# slow bodies: the whole body must arrive within FINOTE_REQUEST_TIMEOUT_MS (2 s)
for my $kind ('chunked', 'content-length') {
    my $sock = IO::Socket::INET->new("127.0.0.1:$port") or die;
    my $t0 = time;
    print $sock "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      . ($kind eq 'chunked' ? "Transfer-Encoding: chunked\r\n" : "Content-Length: 1000\r\n") . "\r\n";
    $sock->blocking(0);
    my $got = '';
    for (1 .. 100) {    # a byte every 100 ms, for up to 10 s
        syswrite($sock, $kind eq 'chunked' ? "1\r\n{\r\n" : '{');
        sleep 0.1;
        my $n = sysread($sock, my $buf, 4096);
        $got .= $buf if $n;
        last if $got =~ /\r\n\r\n.*\}\}/s || (defined $n && $n == 0);
    }
    my $elapsed = time - $t0;
    my ($code, $h) = head_and_body($got);
    is($code, 408, "a trickling $kind body: 408");
    ok($elapsed < 4, "a trickling $kind body is cut off in time (" . sprintf('%.1f', $elapsed) . ' s)');
    like($h, qr/^Connection: close/mi, "a trickling $kind body: connection closed");
    close $sock;
}
alive('after slow bodies');

# a body that ends early, garbage chunk sizes
$s = IO::Socket::INET->new("127.0.0.1:$port") or die;
print $s "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":";
shutdown($s, 1);
($st) = head_and_body(do { local $/; <$s> } // '');
is($st, 400, 'a body shorter than its Content-Length: 400');
close $s;
($st) = head_and_body(raw_request($port, "POST /api/auth/register HTTP/1.1\r\nHost: x\r\n"
      . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 5));
is($st, 400, 'a malformed chunk size: 400');

# header limits and garbage
# civetweb answers 400 and closes without reading the rest, so the client may
# see a reset instead of the answer: either is a refusal
$r = HTTP::Tiny->new->get("http://127.0.0.1:$port/healthz", { headers => { 'X-Big' => 'y' x 20000 } });
like($r->{status}, qr/^(400|599)$/, "headers over 16 KiB: refused ($r->{status})");
like($r->{content}, qr/"code":"bad_request"/, 'oversized headers: JSON error') if $r->{status} == 400;
($st) = head_and_body(raw_request($port, "GET /" . ('a' x 20000) . " HTTP/1.1\r\nHost: x\r\n\r\n", 5));
like($st, qr/^(400|0)$/, 'a 20 KB URI: refused');
alive('after oversized headers');

my @garbage = (
    "\x00\x01\x02\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "BREW /api/notes HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /api/notes/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET http://evil.example/api/auth/me HTTP/1.1\r\nHost: x\r\n\r\n", "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /api/notes HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "POST /api/notes HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "POST /api/notes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "GET /api/auth/me HTTP/1.1\r\nHost: x\r\nCookie: finote.sid=" . ('%' x 900) . "\r\n\r\n",
    "GET /api/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " . ('t' x 4000) . "\r\n\r\n",
    "GET /api/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n\r\n",
    "GET /api/notes?q=%FF%FE&limit=%00 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n\r\n",
    "GET /api/notes?limit=99999999999999999999 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n\r\n",
);
for my $g (@garbage) {
    my $resp = raw_request($port, $g, 3);
    like($resp, qr{^(HTTP/\d\.\d [1-5]\d\d |$)}, 'garbage gets an HTTP answer or a close: ' . substr($g =~ s/[^ -~]/./gr, 0, 40));
}
alive('after garbage');

# bodies Postgres must refuse
for my $case (["{\"title\":\"\xff\xfe\"}", 'invalid UTF-8'], ["{\"title\":\"a\x00b\"}", 'a NUL byte'],
    ['{"title":' . ('[' x 200000) . (']' x 200000) . '}', 'deep nesting'], ['   ', 'only blanks'],
    ['{"title": "\u0000"}', 'an escaped NUL'])
{
    $r = api($shim, 'POST', '/api/notes', $case->[0], Cookie => $cookie);
    is($r->{status}, 400, "a body with $case->[1]: 400");
}

# keep-alive: two requests on one connection
my $both = raw_request($port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5);
my @answers = $both =~ m{HTTP/1\.1 (\d+) }g;
is_deeply(\@answers, [200, 200], 'keep-alive: two answers on one connection');

# 500: an unexpected SQLSTATE, with nothing internal in the answer
psql($pg_port, 'finote', 'REVOKE finote_api FROM finote_app');
$r = api($shim, 'GET', '/api/auth/me', undef, Cookie => $cookie);
is($r->{status}, 500, 'an unmapped SQLSTATE: 500');
is_deeply($r->{json}, { error => { code => 'internal', message => 'internal error' } }, '500: generic body');
like(slurp($shim->{err}), qr/SQLSTATE 42501/, '500: the real SQLSTATE is in the error log');
psql($pg_port, 'finote', 'GRANT finote_api TO finote_app');
is(api($shim, 'GET', '/api/auth/me', undef, Cookie => $cookie)->{status}, 200, 'back to 200');

# after all of the above, no connection is left borrowed
my $m = api($shim, 'GET', '/metrics')->{content};
is(metric_value($m, 'finote_db_pool_connections{state="in_use"}'), 0, 'no database connection leaked');
ok(metric_value($m, 'finote_db_pool_connections{state="idle"}') <= 5, 'at most DB_POOL_MAX connections');

# one access-log line per request, without secrets
my @lines = split /\n/, access_log($shim);
ok(@lines > 50, 'access log has lines');
like($lines[0], qr{^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 [A-Z]+ \S+ \d{3} \d+ [\d.]+ms$}, 'access log format');
logs_clean($shim, 'hankpassword', 'chunkypassword', 'patientpassword', ($cookie =~ /=(.*)/));
stop_shim($shim);
done_testing();
