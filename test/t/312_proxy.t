# docker/proxy/ (the finote-proxy image's nginx configuration) on the host's
# nginx, through docker/proxy/start.sh as docker/README.md shows: in front of
# a real shim, and in front of a recording upstream that shows what the shim
# would be sent. Checks what the proxy takes off the shim's hands: a slow
# client's headers or body never reach the upstream (no shim thread waits),
# X-Forwarded-For is the client's address whatever the client claims,
# Content-Length with Transfer-Encoding and two Content-Lengths are refused,
# a chunked body arrives with one Content-Length, oversized bodies and
# request floods get the API's JSON errors, and TLS when a certificate is
# mounted. make test-docker runs the same files in the finote-proxy image.
# start.sh's prefix is its own: a new one by default, and a named one that
# another user could have made first (a symlink, someone else's directory,
# one others can write or read) is refused before anything is written.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More;

my $nginx = '/usr/sbin/nginx';
plan skip_all => "no $nginx (apt-get install nginx)" unless -x $nginx;

my $dir = "$STATE/t312";
my ($pg_port, $shim_port, $echo_port) = map { free_port() } 1 .. 3;
my ($proxy_port, $echo_proxy_port, $tls_port, $strict_port) = map { free_port() } 1 .. 4;
my @pids;
END {
    kill 'QUIT', $_ for @pids;    # nginx: graceful stop; the recorder: gone
    for my $pid (@pids) { my $until = time + 10; sleep 0.05 while waitpid($pid, WNOHANG) == 0 && time < $until }
}
remove_tree($dir);
make_path("$dir/tls-none", "$dir/tls");

my (undef, $url) = start_cluster('t312-pg', $pg_port);
my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $url,
    SESSION_SECRET => 'x' x 48, FINOTE_TRUSTED_PROXIES => '127.0.0.1');

# The recording upstream: answers 200 with the request head it got and the
# body's length, and logs the time of every connection accepted.
my $accepts = "$dir/accepts.log";
my $echo = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$echo_port", Listen => 64, ReuseAddr => 1)
  or die "listen $echo_port: $!";
my $echo_pid = fork // die;
if (!$echo_pid) {
    $SIG{QUIT} = sub { exit 0 };
    while (my $c = $echo->accept) {
        open my $log, '>>', $accepts or die;
        print $log time(), "\n";
        close $log;
        my $head = '';
        while (defined(my $line = <$c>)) { $head .= $line; last if $line eq "\r\n" }
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        my $body = '';
        read($c, $body, $len) if $len;
        my $out = $head . 'body-length: ' . length($body) . "\n";
        print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($out)
          . "\r\nConnection: close\r\n\r\n$out";
        close $c;
    }
    exit 0;
}
push @pids, $echo_pid;
close $echo;

# start.sh with ENV; returns its pid once the port answers, or undef
sub start_proxy {
    my ($name, $port, %env) = @_;
    my $pid = fork // die;
    if (!$pid) {
        $ENV{$_} = $env{$_} for keys %env;
        $ENV{FINOTE_PROXY_LISTEN} = "127.0.0.1:$port";
        $ENV{FINOTE_PROXY_PREFIX} = "$dir/$name";
        $ENV{FINOTE_TLS_DIR} //= "$dir/tls-none";
        open STDOUT, '>', "$dir/$name.log" or die;
        open STDERR, '>&', \*STDOUT or die;
        my $start = "$ROOT/docker/proxy/start.sh";
        exec { $start } $start or die "exec: $!";
    }
    for (1 .. 100) {
        if (IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1)) { push @pids, $pid; return $pid }
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.1;
    }
    diag slurp("$dir/$name.log");
    return undef;
}
ok(start_proxy('proxy', $proxy_port, FINOTE_UPSTREAM => "127.0.0.1:$shim_port"), 'the proxy starts on the host (start.sh)');
ok(start_proxy('echo-proxy', $echo_proxy_port, FINOTE_UPSTREAM => "127.0.0.1:$echo_port"), 'a second one in front of the recorder');
like(slurp("$dir/proxy.log"), qr/HTTP on 127\.0\.0\.1:$proxy_port \(no certificate/, 'plain HTTP without a certificate, and it says so');

my $px = { port => $proxy_port, url => "http://127.0.0.1:$proxy_port" };
is(api($px, 'GET', '/readyz')->{status}, 200, '/readyz through the proxy');
my ($login) = register_and_login($px, 'proxied', 'proxied-password');
my $token = $login->{json}{token};
is(api($px, 'POST', '/api/notes', { title => 't', content => 'c' }, Authorization => "Bearer $token")->{status}, 201,
    'a note through the proxy');
my $r = api($px, 'POST', '/api/notes', { title => 't', content => 'x' x (1024 * 1024 + 10) }, Authorization => "Bearer $token");
is($r->{status}, 413, "a body over the shim's 1 MiB (under the proxy's 2 MiB) gets the shim's 413");
$r = api($px, 'POST', '/api/notes', 'x' x (3 * 1024 * 1024), Authorization => "Bearer $token");
is($r->{status}, 413, "a body over the proxy's 2 MiB is refused by the proxy");
is($r->{json}{error}{code}, 'payload_too_large', 'in the JSON error shape');

# --- what the upstream is sent ------------------------------------------------------
sub accepted { my @l = split /\n/, slurp($accepts); return scalar @l }
sub raw { my ($bytes, $timeout) = @_; return raw_request($echo_proxy_port, $bytes, $timeout // 5) }

my $out = raw("GET /x HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nConnection: close\r\n\r\n");
like($out, qr/^X-Forwarded-For: 127\.0\.0\.1\r?$/m, "X-Forwarded-For is the client's address");
unlike($out, qr/6\.6\.6\.6/, "what the client claimed is not passed on (X-Forwarded-For, Forwarded)");
like($out, qr/^X-Forwarded-Proto: http\r?$/m, 'X-Forwarded-Proto');

$out = raw("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
like($out, qr/^Content-Length: 11\r?$/m, 'a chunked body reaches the upstream whole, with one Content-Length');
unlike($out, qr/^Transfer-Encoding/mi, 'and no Transfer-Encoding');
like($out, qr/^body-length: 11$/m, 'all 11 bytes of it');

my $before = accepted();
$out = raw("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
like($out, qr{^HTTP/1\.1 400 }, 'Content-Length with Transfer-Encoding: 400');
$out = raw("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello!");
like($out, qr{^HTTP/1\.1 400 }, 'two Content-Lengths: 400');
is(accepted(), $before, 'neither reached the upstream');

# slow clients: the upstream sees nothing until the request is whole
$before = accepted();
my $slow = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$echo_proxy_port", Timeout => 5) or die;
print $slow "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello";
sleep 1.5;
is(accepted(), $before, 'a body still coming is held by the proxy: no upstream connection');
print $slow "world";
my $got = '';
my $until = time + 5;
$slow->blocking(0);
while (time < $until && $got !~ /body-length: \d+/) { my $n = sysread($slow, my $b, 4096); $got .= $b if $n; sleep 0.05 }
like($got, qr/body-length: 10/, 'once it is complete it goes up in one piece');
close $slow;

$before = accepted();
my $t0 = time;
$out = raw("GET /x HTTP/1.1\r\nHost: h\r\n", 15);    # headers never finished
my $waited = time - $t0;
ok($waited >= 9 && $waited < 14, sprintf('a client that never finishes its headers is dropped after client_header_timeout (%.1f s)', $waited));
is(accepted(), $before, 'without the upstream ever seeing it');

# a flood from one address: 429 in the JSON shape, never more than the rate lets through
my %codes;
for (1 .. 300) { $codes{ api($px, 'GET', '/healthz')->{status} }++ }
ok(($codes{429} // 0) > 0, "300 requests at once from one address: some get 429 (200: $codes{200}, 429: " . ($codes{429} // 0) . ')');
$r = api($px, 'GET', '/healthz');
$r = api($px, 'GET', '/healthz') while $r->{status} == 200 && ++$codes{extra} < 500;
is($r->{json}{error}{code}, 'too_many_requests', 'the 429 is JSON');

# the limits come from the environment
ok(start_proxy('strict-proxy', $strict_port, FINOTE_UPSTREAM => "127.0.0.1:$shim_port",
    FINOTE_PROXY_RATE => 1, FINOTE_PROXY_BURST => 2), 'a proxy with FINOTE_PROXY_RATE=1, FINOTE_PROXY_BURST=2');
my $strict = { port => $strict_port, url => "http://127.0.0.1:$strict_port" };
my @strict = map { api($strict, 'GET', '/healthz')->{status} } 1 .. 4;
is("@strict", '200 200 200 429', 'lets one request and a burst of two through at once, then 429');

# --- TLS when docker/tls/ holds a certificate ---------------------------------------
SKIP: {
    skip 'no openssl', 4 unless -x '/usr/bin/openssl';
    system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
        . " -keyout '$dir/tls/key.pem' -out '$dir/tls/cert.pem' 2>/dev/null") == 0 or die 'openssl';
    ok(start_proxy('tls-proxy', $tls_port, FINOTE_UPSTREAM => "127.0.0.1:$shim_port", FINOTE_TLS_DIR => "$dir/tls"),
        'with cert.pem and key.pem the proxy starts');
    like(slurp("$dir/tls-proxy.log"), qr/HTTPS on 127\.0\.0\.1:$tls_port/, 'and says HTTPS');
    my $code = `curl -s -o /dev/null -w '%{http_code}' --cacert '$dir/tls/cert.pem' https://127.0.0.1:$tls_port/readyz`;
    is($code, '200', 'the shim answers over HTTPS, with that certificate');
    like(raw_request($tls_port, "GET /readyz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 5), qr{^HTTP/1\.1 400 },
        'plain HTTP on that port is refused');
}

# --- start.sh refuses what would not be an address --------------------------------
for my $bad ('shim:3000; return 200', 'shim') {
    my $o = `FINOTE_UPSTREAM='$bad' FINOTE_PROXY_PREFIX='$dir/bad' '$ROOT/docker/proxy/start.sh' -t 2>&1`;
    ok($? != 0 && $o =~ /FINOTE_UPSTREAM: not a host:port/, "start.sh refuses FINOTE_UPSTREAM='$bad'");
}
for my $bad (qw(FINOTE_PROXY_RATE=0 FINOTE_PROXY_BURST=1r FINOTE_PROXY_CONNECTIONS=-1)) {
    my $o = `$bad FINOTE_UPSTREAM=127.0.0.1:1 FINOTE_PROXY_PREFIX='$dir/bad' '$ROOT/docker/proxy/start.sh' -t 2>&1`;
    my ($name) = $bad =~ /^(\w+)=/;
    ok($? != 0 && $o =~ /\Q$name\E: not a number/, "start.sh refuses $bad");
}
unlink "$dir/tls/key.pem";
my $o = `FINOTE_TLS_DIR='$dir/tls' FINOTE_UPSTREAM=127.0.0.1:1 FINOTE_PROXY_PREFIX='$dir/bad' '$ROOT/docker/proxy/start.sh' -t 2>&1`;
ok($? != 0 && $o =~ /only one of cert\.pem and key\.pem/, 'and a certificate without its key');

# --- the prefix: the caller's own, or refused ---------------------------------------
# start.sh -t with PREFIX (undef: unset) and TMPDIR; returns (exit status, output)
sub start_t {
    my ($prefix, $tmpdir) = @_;
    my $pid = open(my $out, '-|') // die;
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or die;
        $ENV{FINOTE_UPSTREAM} = '127.0.0.1:1';
        $ENV{FINOTE_TLS_DIR} = "$dir/tls-none";
        if (defined $prefix) { $ENV{FINOTE_PROXY_PREFIX} = $prefix } else { delete $ENV{FINOTE_PROXY_PREFIX} }
        $ENV{TMPDIR} = $tmpdir if $tmpdir;
        exec "$ROOT/docker/proxy/start.sh", '-t' or die;
    }
    local $/;
    my $text = <$out> // '';
    close $out;
    return ($?, $text);
}
make_path("$dir/tmpdir");
my ($st, $text) = start_t(undef, "$dir/tmpdir");
is($st, 0, 'without FINOTE_PROXY_PREFIX start.sh makes a prefix of its own') or diag $text;
my @made = glob("$dir/tmpdir/finote-proxy.*");
is(scalar @made, 1, 'one new directory in TMPDIR');
is(sprintf('%o', (lstat $made[0])[2] & 07777), '700', 'mode 0700') if @made;
($st, $text) = start_t("$dir/fresh");
is($st, 0, 'a named prefix that does not exist is made') or diag $text;
is(sprintf('%o', (stat "$dir/fresh")[2] & 07777), '700', 'mode 0700');

# what another local user could have planted first; the victim is a file
# start.sh would overwrite (listen.conf) if it followed the link
my $victim = "$dir/victim";
open my $vf, '>', $victim or die;
print $vf "victim\n";
close $vf;
make_path("$dir/victim-dir");
symlink("$dir/victim-dir", "$dir/link") or die;
symlink($victim, "$dir/victim-dir/listen.conf") or die;
my $nobody = getpwnam('nobody');
my @hostile = (['a symlink to a directory', "$dir/link"]);
mkdir "$dir/open", 0755 or die;
chmod 0755, "$dir/open";
push @hostile, ['a directory of mode 0755', "$dir/open", qr/mode 755, not 0700/];
if ($> == 0 && defined $nobody) {
    # root: the link and a 0700 directory owned by another user (nobody)
    system('chown', '-h', 'nobody', "$dir/link") == 0 or die;
    mkdir "$dir/theirs", 0700 or die;
    chown $nobody, -1, "$dir/theirs" or die;
    push @hostile, ["a 0700 directory owned by nobody", "$dir/theirs", qr/owned by uid $nobody, not by this user/];
}
for my $h (@hostile) {
    my ($what, $path, $why) = @$h;
    ($st, $text) = start_t($path);
    isnt($st, 0, "FINOTE_PROXY_PREFIX: $what is refused");
    like($text, $why // qr/not a directory \(a symlink is refused\)/, 'saying why');
    ok(!-e "$path/nginx.conf" && !-e "$path/tmp", 'nothing was written there');
}
is(slurp($victim), "victim\n", 'the file a planted link pointed to is untouched');

stop_shim($shim);
done_testing();
