# Secrets leave no trace in the shim (issue 13, findings 2 and 8):
#   - civetweb's complaints quote request bytes; a request line carrying a
#     password and a token that makes civetweb complain leaves neither on
#     stderr, which holds a fixed line instead;
#   - the shim's own copies of a password (the request body), a token and a
#     cookie are wiped: after they were used, and after later requests
#     reused civetweb's and libpq's buffers (which are not the shim's), a scan
#     of the running shim's memory finds none of them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);

my (undef, $dburl) = start_cluster('t135', free_port());

# ---- civetweb's messages ----
my $port = free_port();
my $shim = start_shim(PORT => $port, DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32);
my ($login, $cookie) = register_and_login($shim, 'sam', 'SamsPassword-4c1d');
my $token = $login->{json}{token};
my $pw = 'TopSecretPw1-9f3e';

# civetweb cuts a bad HTTP version to fit its buffer and complains with the
# cut text; the request line is where the password and the token are.
my $resp = raw_request($port, "GET /api/auth/me HTTP/2.0-password=$pw-token=$token\r\nHost: x\r\n\r\n", 5);
like($resp, qr{^HTTP/1\.1 505 }, 'a bad HTTP version holding secrets: 505');
$resp = raw_request($port, "GET /?password=$pw&token=$token HTTP/1.1\r\nHost: x\r\n"
      . "Authorization: Bearer $token\r\nX-Pad: " . ('p' x 17000) . "\r\n\r\n", 5);
like($resp, qr{^(HTTP/1\.1 400 |$)}, 'headers over the limit holding secrets: refused');
$resp = raw_request($port, "POST /api/auth/login?password=$pw HTTP/1.1\r\nHost: x\r\n"
      . "Content-Length: $token\r\n\r\n{\"password\":\"$pw\"}", 5);
like($resp, qr{^(HTTP/1\.1 4\d\d |$)}, 'a bad Content-Length holding secrets: refused');
my $err = slurp($shim->{err});
like($err, qr/civetweb reported a problem with a request from 127\.0\.0\.1 \(its text is not logged/,
    'civetweb complained, and its complaint is a fixed line');
like($err, qr/civetweb refused a request from 127\.0\.0\.1 with 505/, 'the refusal is logged with its status only');
unlike($err, qr/\Q$pw\E/, 'no password on stderr');
unlike($err, qr/\Q$token\E/, 'no token on stderr');
unlike($err, qr/HTTP\/2\.0-|Bad HTTP version/, 'nothing of the request line on stderr');
logs_clean($shim, $pw, $token, 'SamsPassword-4c1d', ($cookie =~ /=(.*)/));
stop_shim($shim);

# ---- the shim's memory ----
# One worker thread and one database connection, so that later requests
# reuse the buffers civetweb and libpq kept the secrets in.
$shim = start_shim(PORT => $port, DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32,
    FINOTE_THREADS => 1, DB_POOL_MAX => 1);

# A JSON POST whose body civetweb never buffers: the body is sent only after
# "100 Continue", so it goes from the socket straight into the shim's buffer.
sub post_after_continue {
    my ($path, $body, @headers) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 5) or die "connect: $!";
    my $head = "POST $path HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      . "Content-Length: " . length($body) . "\r\nExpect: 100-continue\r\nConnection: close\r\n";
    $head .= "$_\r\n" for @headers;
    print $s "$head\r\n";
    my $got = '';
    while ($got !~ /\r\n\r\n/) { sysread($s, $got, 4096, length $got) or die "no 100 Continue" }
    die "not 100 Continue: $got" unless $got =~ m{^HTTP/1\.1 100 };
    print $s $body;
    my $out = '';
    while (sysread($s, my $buf, 65536)) { $out .= $buf }
    my ($status) = $out =~ m{^HTTP/1\.1 (\d+)};
    my ($json) = $out =~ /\r\n\r\n(.*)\z/s;
    my ($set) = $out =~ /^Set-Cookie: finote\.sid=([^;\r]*)/mi;
    return ($status, length($json // '') ? decode_json($json) : undef, $set);
}

# Another user, a long note of theirs, and every route's statement prepared:
# the bodies here come first, so the secrets' buffers are the last ones used.
my ($other) = register_and_login($shim, 'zed', 'zedpassword');
my @as_zed = (Authorization => "Bearer $other->{json}{token}");
my $big = api($shim, 'POST', '/api/notes', { title => 'long', content => 'z' x 20000 }, @as_zed)
  ->{json}{note}{id};
api($shim, 'GET', '/api/auth/me', undef, @as_zed);

# The secrets: a password (in two bodies), the token and the cookie (in the
# login's answer, and in a request each).
my $user = 'mem_' . ('u' x 24);    # puts the password past a freed chunk's links
my ($st) = post_after_continue('/api/auth/register', encode_json({ username => $user, password => $pw }));
is($st, 201, 'register (body after 100 Continue): 201');
my ($st2, $json, $value) = post_after_continue('/api/auth/login', encode_json({ username => $user, password => $pw }));
is($st2, 200, 'login (body after 100 Continue): 200');
my $tok = $json->{token};
ok(length($tok) > 20 && length($value // '') > 20, 'a token and a cookie');
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => "Bearer $tok")->{status}, 200, 'the token works');
is(api($shim, 'GET', '/api/auth/me', undef, Cookie => "finote.sid=$value")->{status}, 200, 'the cookie works');

# Reuse what is not the shim's: civetweb's request buffer (a longer request),
# libpq's output buffer (a longer statement) and input buffer (a longer row).
api($shim, 'GET', '/healthz', undef, 'X-Pad' => 'p' x 8000);
api($shim, 'GET', '/api/notes?q=' . ('q' x 1000), undef, @as_zed);
is(api($shim, 'GET', "/api/notes/$big", undef, @as_zed)->{status}, 200, 'a long row read back');
api($shim, 'GET', '/healthz', undef, 'X-Pad' => 'p' x 8000);

# Every writable mapping of the shim (heap, stacks, anonymous maps), read
# through /proc/PID/mem; huge reservations (a sanitizer's shadow) are skipped.
sub memory_holds {
    my ($pid, %needles) = @_;
    no warnings 'portable';
    open my $maps, '<', "/proc/$pid/maps" or die "maps: $!";
    open my $mem, '<:raw', "/proc/$pid/mem" or die "mem: $!";
    my %found;
    my $overlap = 256;
    while (my $line = <$maps>) {
        my ($lo, $hi, $perm) = $line =~ /^([0-9a-f]+)-([0-9a-f]+) (\S+)/ or next;
        next unless $perm =~ /^rw/;
        ($lo, $hi) = (hex $lo, hex $hi);
        next if $hi - $lo > 1 << 30 || $line =~ /\[(vvar|vsyscall)\]/;
        my $prev = '';
        for (my $at = $lo; $at < $hi; $at += 1 << 20) {
            my $n = $hi - $at < 1 << 20 ? $hi - $at : 1 << 20;
            sysseek($mem, $at, 0) or last;
            defined(sysread($mem, my $chunk, $n)) or last;
            my $text = substr($prev, -$overlap) . $chunk;
            while (my ($name, $needle) = each %needles) {
                $found{$name} = 1 if index($text, $needle) >= 0;
            }
            $prev = $chunk;
        }
    }
    return join(', ', sort keys %found);
}

my $held = memory_holds($shim->{pid}, password => $pw, token => $tok, cookie => $value);
is($held, '', 'no password, token or cookie left in the shim\'s memory');
# the scan itself finds what is there: the other user's token is in use
like(memory_holds($shim->{pid}, other => $other->{json}{token}), qr/other/,
    'the scan finds a token still held (by libpq, for the last statement)');
stop_shim($shim);
done_testing();
