# CORS from CORS_ORIGIN (civetweb's own CORS is off), and the web app's
# static files from FINOTE_WEB_ROOT: types, caching, security headers, and
# no way out of the web root. The fixture web root is built here, under
# .finote/, with symlinks that point out of it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use File::Find ();
use File::Path qw(make_path remove_tree);
use POSIX ();
use Test::More;
my $shim_port = free_port();

# No database answers here: a request that needs one (a preflight on /api/
# learns the extension's version) gets its 503 at once instead of waiting
# FINOTE_DB_WAIT_MS for one to come back.
my %nodb = (DATABASE_URL => 'postgresql://finote_app@127.0.0.1:1/none', FINOTE_DB_WAIT_MS => 0);
my $www = "$ROOT/.finote/t140/www";
remove_tree("$ROOT/.finote/t140");
make_path("$www/assets", "$www/sub/dir", "$www/api");
sub put { my ($path, $text) = @_; open my $fh, '>', $path or die "$path: $!"; print $fh $text; close $fh }
put("$www/index.html", "<!doctype html><title>Finote</title>\n");
put("$www/assets/app-1234.js", "console.log('hi');\n");
put("$www/assets/app-1234.css", "body{}\n");
put("$www/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>\n");
put("$www/sub/dir/index.html", "nested\n");
put("$www/.env", "SECRET=1\n");
put("$www/api/x", "shadowed\n");
put("$ROOT/.finote/t140/outside.txt", "outside\n");
symlink("$ROOT/.finote/t140/outside.txt", "$www/escape.txt") or die;
symlink('/etc', "$www/etc") or die;
symlink('../index.html', "$www/assets/inside.html") or die;

my $shim = start_shim(PORT => $shim_port, %nodb, SESSION_SECRET => 'c' x 32,
    FINOTE_WEB_ROOT => $www, CORS_ORIGIN => 'https://app.example, http://localhost:5173');

# static files
my $r = api($shim, 'GET', '/');
is($r->{status}, 200, '/: 200');
is($r->{headers}{'content-type'}, 'text/html; charset=utf-8', '/: HTML');
is($r->{headers}{'cache-control'}, 'no-cache', '/: no-cache');
like($r->{content}, qr/<title>Finote/, '/: index.html');
is($r->{headers}{'content-security-policy'},
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
      . "frame-ancestors 'none'; base-uri 'none'; form-action 'self'", '/: CSP');
is($r->{headers}{'x-frame-options'}, 'DENY', '/: X-Frame-Options');
is($r->{headers}{'x-content-type-options'}, 'nosniff', '/: nosniff');
is($r->{headers}{'referrer-policy'}, 'no-referrer', '/: Referrer-Policy');
is(api($shim, 'GET', '/index.html')->{content}, $r->{content}, '/index.html');

$r = api($shim, 'GET', '/assets/app-1234.js');
is($r->{status}, 200, 'asset: 200');
is($r->{headers}{'content-type'}, 'text/javascript; charset=utf-8', 'asset: JS type');
is($r->{headers}{'cache-control'}, 'public, max-age=31536000, immutable', 'asset: immutable');
is(api($shim, 'GET', '/assets/app-1234.css')->{headers}{'content-type'}, 'text/css; charset=utf-8', 'CSS type');
$r = api($shim, 'GET', '/logo.svg');
is($r->{headers}{'content-type'}, 'image/svg+xml', 'SVG type');
is($r->{headers}{'cache-control'}, 'no-cache', 'non-asset: no-cache');
$r = api($shim, 'HEAD', '/assets/app-1234.js');
is($r->{status}, 200, 'HEAD asset: 200');
is($r->{headers}{'content-length'}, length("console.log('hi');\n"), 'HEAD: Content-Length');
is($r->{content} // '', '', 'HEAD: no body');
is(api($shim, 'GET', '/assets/inside.html')->{status}, 200, 'a symlink inside the root: 200');

for my $path ('/sub', '/sub/', '/sub/dir/', '/assets/', '/.env', '/escape.txt', '/etc/passwd',
    '/assets/../../outside.txt', '/../outside.txt', '/%2e%2e/outside.txt', '/assets/%2E%2E/index.html',
    '/assets%2fapp-1234.js', '//index.html', '/index.html/', '/nope.js', '/api/x', '/sub/./dir/index.html',
    '/assets/app-1234.js%5c', '/.%2e/outside.txt')
{
    my $resp = FinoteTest::raw_request($shim_port, "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5);
    my ($code) = $resp =~ m{^HTTP/1\.1 (\d+)};
    is($code, 404, "GET $path: 404");
    like($resp, qr/"code":"not_found"/, "GET $path: JSON");
    unlike($resp, qr/outside|SECRET|root:|Index of/, "GET $path: nothing leaks");
}
for my $path ('/%00index.html', '/index.html%00.js') {
    my $resp = FinoteTest::raw_request($shim_port, "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5);
    like($resp, qr{^HTTP/1\.1 400 .*"code":"invalid_input"}s, "GET $path: 400, a NUL is never cut");
}
is(api($shim, 'POST', '/')->{status}, 404, 'POST /: 404');

# CORS
my %allowed = (Origin => 'https://app.example');
$r = api($shim, 'GET', '/healthz', undef, %allowed);
is($r->{headers}{'access-control-allow-origin'}, 'https://app.example', 'allowed origin echoed');
is($r->{headers}{'access-control-allow-credentials'}, 'true', 'credentials allowed');
like($r->{headers}{vary}, qr/Origin/, 'Vary: Origin');
$r = api($shim, 'GET', '/healthz', undef, Origin => 'http://localhost:5173');
is($r->{headers}{'access-control-allow-origin'}, 'http://localhost:5173', 'second listed origin');
$r = api($shim, 'GET', '/api/auth/me', undef, %allowed);
is($r->{status}, 401, 'a 401 to an allowed origin...');
is($r->{headers}{'access-control-allow-origin'}, 'https://app.example', '... carries CORS headers');
for my $origin ('https://evil.example', 'https://app.example.evil', 'null', 'https://APP.example') {
    $r = api($shim, 'GET', '/healthz', undef, Origin => $origin);
    ok(!exists $r->{headers}{'access-control-allow-origin'}, "no CORS for $origin");
    ok(!exists $r->{headers}{'access-control-allow-credentials'}, "no credentials for $origin");
}

$r = api($shim, 'OPTIONS', '/api/notes', undef, %allowed, 'Access-Control-Request-Method' => 'POST',
    'Access-Control-Request-Headers' => 'content-type');
is($r->{status}, 204, 'preflight: 204');
is($r->{headers}{'access-control-allow-origin'}, 'https://app.example', 'preflight: origin');
is($r->{headers}{'access-control-allow-methods'}, 'GET, POST', 'preflight: methods of the path');
like($r->{headers}{'access-control-allow-headers'}, qr/Content-Type.*Authorization/, 'preflight: headers');
is($r->{headers}{'access-control-allow-credentials'}, 'true', 'preflight: credentials');
ok($r->{headers}{'access-control-max-age'}, 'preflight: max age');
$r = api($shim, 'OPTIONS', '/api/notes/00000000-0000-0000-0000-000000000000', undef, %allowed,
    'Access-Control-Request-Method' => 'PATCH');
is($r->{headers}{'access-control-allow-methods'}, 'GET, PATCH, DELETE', 'preflight on a note');
$r = api($shim, 'OPTIONS', '/api/notes', undef, Origin => 'https://evil.example',
    'Access-Control-Request-Method' => 'POST');
is($r->{status}, 403, 'preflight from another origin: 403');
is($r->{json}{error}{code}, 'origin_not_allowed', 'preflight refused: code');
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'preflight refused: no CORS headers');
is(api($shim, 'OPTIONS', '/api/nope', undef, %allowed, 'Access-Control-Request-Method' => 'GET')->{status},
    404, 'preflight on an unknown path: 404');
stop_shim($shim);

# without CORS_ORIGIN nobody gets CORS headers, and without a web root no files
$shim = start_shim(PORT => $shim_port, %nodb, SESSION_SECRET => 'c' x 32);
$r = api($shim, 'GET', '/healthz', undef, %allowed);
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'no CORS_ORIGIN: no CORS');
$r = api($shim, 'OPTIONS', '/api/notes', undef, %allowed, 'Access-Control-Request-Method' => 'POST');
is($r->{status}, 403, 'no CORS_ORIGIN: preflight refused (civetweb does not answer it)');
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'no CORS_ORIGIN: preflight has no CORS headers');
is(api($shim, 'GET', '/')->{status}, 404, 'no FINOTE_WEB_ROOT: / is 404');
ok(!exists $r->{headers}{'strict-transport-security'}, 'development: no HSTS');
stop_shim($shim);

# production: HSTS on every answer; and a FIFO in the web root is not a file
# to serve: opening it would block the worker until a writer came, and a
# graceful stop with it
POSIX::mkfifo("$www/pipe.html", 0600) or die "mkfifo: $!";
$shim = start_shim(PORT => $shim_port, %nodb, SESSION_SECRET => 'c' x 32,
    NODE_ENV => 'production', FINOTE_WEB_ROOT => $www);
for my $path ('/', '/healthz', '/api/auth/me', '/nope') {
    is(api($shim, 'GET', $path)->{headers}{'strict-transport-security'}, 'max-age=31536000',
        "production: HSTS on $path");
}
for my $try (1 .. 3) {
    my $resp = FinoteTest::raw_request($shim_port, "GET /pipe.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3);
    like($resp, qr{^HTTP/1\.1 404 }, "GET of a FIFO in the web root ($try): 404 at once");
}
is(api($shim, 'GET', '/index.html')->{status}, 200, 'files are still served after the FIFO');
kill 'TERM', $shim->{pid};
is(FinoteTest::wait_exit($shim, 10), 0, 'SIGTERM after the FIFO requests: exits 0 within 10 s');
is(FinoteTest::sanitizer_report($shim), '', 'no sanitizer report');

# The repository's web root holds the app and nothing else: every file in it
# is index.html or named by the app's own files, and /README.md is no page.
my $app = "$ROOT/shim/www";
my @files;
File::Find::find({ no_chdir => 1, wanted => sub { push @files, $_ if -f $_ } }, $app);
my $text = join '', map { slurp($_) } grep { /\.(html|js|css)$/ } @files;
for my $file (sort @files) {
    my $rel = substr($file, length($app) + 1);
    my $name = $rel =~ s{.*/}{}r;
    ok($rel eq 'index.html' || index($text, $name) >= 0, "shim/www/$rel is part of the app");
}
$shim = start_shim(PORT => $shim_port, %nodb, SESSION_SECRET => 'c' x 32, FINOTE_WEB_ROOT => $app);
is(api($shim, 'GET', '/')->{status}, 200, 'the app: / is 200');
is(api($shim, 'GET', '/README.md')->{status}, 404, 'the app: /README.md is 404');
stop_shim($shim);
done_testing();
