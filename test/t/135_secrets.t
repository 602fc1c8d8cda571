# Secrets leave no trace in the shim (issue 13, finding 8): civetweb's
# complaints quote request bytes; a request line carrying a password and a
# token that makes civetweb complain leaves neither on stderr, which holds a
# fixed line instead.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;

my (undef, $dburl) = start_cluster('t135', 54338);

# ---- civetweb's messages ----
my $shim = start_shim(PORT => 3312, DATABASE_URL => $dburl, SESSION_SECRET => 's' x 32);
my ($login, $cookie) = register_and_login($shim, 'sam', 'SamsPassword-4c1d');
my $token = $login->{json}{token};
my $pw = 'TopSecretPw1-9f3e';

# civetweb cuts a bad HTTP version to fit its buffer and complains with the
# cut text; the request line is where the password and the token are.
my $resp = raw_request(3312, "GET /api/auth/me HTTP/2.0-password=$pw-token=$token\r\nHost: x\r\n\r\n", 5);
like($resp, qr{^HTTP/1\.1 505 }, 'a bad HTTP version holding secrets: 505');
$resp = raw_request(3312, "GET /?password=$pw&token=$token HTTP/1.1\r\nHost: x\r\n"
      . "Authorization: Bearer $token\r\nX-Pad: " . ('p' x 17000) . "\r\n\r\n", 5);
like($resp, qr{^(HTTP/1\.1 400 |$)}, 'headers over the limit holding secrets: refused');
$resp = raw_request(3312, "POST /api/auth/login?password=$pw HTTP/1.1\r\nHost: x\r\n"
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

done_testing();
