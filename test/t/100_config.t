# Configuration by environment: defaults (loopback unless FINOTE_LISTEN_ADDR
# says otherwise), invalid values refused with a message naming the
# variable, production's demands on SESSION_SECRET, and --routes. None of
# these need a database.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
my $shim_port = free_port();

my $db = 'postgresql://finote_app@127.0.0.1:1/none';

# refused configurations: non-zero exit, a message naming the variable
my @refused = (
    [{ PORT => 'abc' }, qr/PORT must be an integer/],
    [{ PORT => '70000' }, qr/PORT must be an integer from 1 to 65535/],
    [{ PORT => '0' }, qr/PORT/],
    [{ DB_POOL_MAX => '0' }, qr/DB_POOL_MAX must be an integer/],
    [{ DB_POOL_MAX => 'five' }, qr/DB_POOL_MAX/],
    [{ DATABASE_URL => undef }, qr/DATABASE_URL is not set/],
    [{ SESSION_NAME => 'bad name;' }, qr/SESSION_NAME .* is not a valid cookie name/],
    [{ CORS_ORIGIN => '*' }, qr/CORS_ORIGIN entries must look like/],
    [{ CORS_ORIGIN => 'https://ok.example, example.com' }, qr/CORS_ORIGIN .*"example\.com"/],
    [{ CORS_ORIGIN => 'https://ok.example/path' }, qr/CORS_ORIGIN/],
    [{ FINOTE_TRUSTED_PROXIES => '10.0.0.1, proxy.example' }, qr/FINOTE_TRUSTED_PROXIES .*"proxy\.example"/],
    [{ FINOTE_TRUSTED_PROXIES => '10.0.0.0/33' }, qr/FINOTE_TRUSTED_PROXIES .*"10\.0\.0\.0\/33"/],
    [{ FINOTE_TRUSTED_PROXIES => '::1/' }, qr/FINOTE_TRUSTED_PROXIES/],
    [{ NODE_ENV => 'production' }, qr/production needs SESSION_SECRET of at least 32 bytes/],
    [{ NODE_ENV => 'production', SESSION_SECRET => 'zq7Xw' }, qr/too short/],
    [{ FINOTE_WEB_ROOT => '/nonexistent/www' }, qr/FINOTE_WEB_ROOT/],
    [{ FINOTE_REQUEST_TIMEOUT_MS => '5' }, qr/FINOTE_REQUEST_TIMEOUT_MS/],
    [{ FINOTE_PREPARE => 'yes' }, qr/FINOTE_PREPARE/],
    [{ FINOTE_HEADER_TIMEOUT_MS => '0' }, qr/FINOTE_HEADER_TIMEOUT_MS must be an integer from 100/],
    [{ FINOTE_STATEMENT_TIMEOUT_MS => 'soon' }, qr/FINOTE_STATEMENT_TIMEOUT_MS/],
    [{ FINOTE_THREAD_STACK_KB => '64' }, qr/FINOTE_THREAD_STACK_KB must be an integer from 128/],
    [{ FINOTE_HASH_CONCURRENCY => '0' }, qr/FINOTE_HASH_CONCURRENCY/],
    [{ FINOTE_HASH_WAIT_MS => '-1' }, qr/FINOTE_HASH_WAIT_MS/],
    [{ FINOTE_DB_WAIT_MS => '-1' }, qr/FINOTE_DB_WAIT_MS must be an integer from 0 to 600000/],
    [{ FINOTE_EXPORT_MAX => '0' }, qr/FINOTE_EXPORT_MAX must be an integer from 1/],
    [{ FINOTE_EXPORT_TIMEOUT_MS => 'long' }, qr/FINOTE_EXPORT_TIMEOUT_MS/],
    [{ FINOTE_EXPORT_SEND_TIMEOUT_MS => '10' }, qr/FINOTE_EXPORT_SEND_TIMEOUT_MS must be an integer from 1000/],
    [{ FINOTE_EXPORT_DIR => '/nonexistent/spool' }, qr{FINOTE_EXPORT_DIR "/nonexistent/spool" must be a directory}],
    [{ FINOTE_EXPORT_DIR => "$ROOT/README.md" }, qr/FINOTE_EXPORT_DIR .* must be a directory/],
);
for my $case (@refused) {
    my ($env, $message) = @$case;
    my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $db, %$env, wait => 0, tag => 'config');
    my $status = FinoteTest::wait_exit($shim, 10);
    my $what = join ' ', map { "$_=" . ($env->{$_} // '(unset)') } sort keys %$env;
    ok(defined $status && $status != 0, "refused: $what");
    like(slurp($shim->{err}), $message, "message for $what");
    unlike(slurp($shim->{err}), qr/zq7Xw/, 'the secret is not echoed') if $env->{SESSION_SECRET};
}

# development without a secret: a random one, said on stderr, never printed
# (no database: FINOTE_DB_WAIT_MS 0 answers its 503 at once, not after 10 s)
my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $db, FINOTE_DB_WAIT_MS => 0, tag => 'config-dev');
like(slurp($shim->{err}), qr/SESSION_SECRET is not set: using a random secret/, 'dev: random secret announced');
like(slurp($shim->{err}), qr/listening on http:\/\/127\.0\.0\.1:$shim_port \(development\)/, 'dev: listening line');
is(api($shim, 'GET', '/healthz')->{status}, 200, 'dev: /healthz without a database');
is(api($shim, 'GET', '/readyz')->{status}, 503, 'dev: /readyz 503 without a database');
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => 'Bearer x')->{status}, 503,
    'dev: API 503 without a database');
stop_shim($shim);

# production with a good secret starts, and never prints it
my $secret = 'p' x 16 . 'q' x 16 . 'r' x 8;
$shim = start_shim(PORT => $shim_port, DATABASE_URL => $db, NODE_ENV => 'production',
    SESSION_SECRET => $secret, tag => 'config-prod');
like(slurp($shim->{err}), qr/\(production\)/, 'production starts with a long secret');
stop_shim($shim);
logs_clean($shim, $secret);

# FINOTE_LISTEN_ADDR unset: loopback only, never every interface
$shim = start_shim(PORT => $shim_port, DATABASE_URL => $db, FINOTE_LISTEN_ADDR => undef, tag => 'config-listen');
like(slurp($shim->{err}), qr/listening on http:\/\/127\.0\.0\.1:$shim_port /, 'default listen address: 127.0.0.1');
SKIP: {
    skip 'no ss (iproute2)', 1 unless -x '/usr/bin/ss' || -x '/bin/ss';
    my @bound = map { (split ' ')[3] } grep { /\S/ } `ss -Hltn 'sport = :$shim_port'`;
    is("@bound", "127.0.0.1:$shim_port", 'the only socket bound to the port is 127.0.0.1\'s');
}
stop_shim($shim);

# a port in use is a clean failure
my $one = start_shim(PORT => $shim_port, DATABASE_URL => $db, tag => 'config-one');
my $two = start_shim(PORT => $shim_port, DATABASE_URL => $db, wait => 0, tag => 'config-two');
my $status = FinoteTest::wait_exit($two, 10);
ok(defined $status && $status != 0, 'a port in use: non-zero exit');
like(slurp($two->{err}), qr/cannot listen on 127\.0\.0\.1:$shim_port/, 'a port in use: message');
stop_shim($one);

# --routes prints the table
my $bin = $ENV{FINOTE_SHIM_BIN} || 'shim/finote-shim';
$bin = "$ROOT/$bin" unless $bin =~ m{^/};
my @routes = `'$bin' --routes`;
is($?, 0, '--routes exits 0');
ok(grep({ $_ eq "POST /api/notes 201 1.0\n" } @routes), '--routes lists POST /api/notes 201 1.0');
done_testing();
