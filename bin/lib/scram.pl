#!/usr/bin/perl
# scram.pl: the SCRAM-SHA-256 verifier of the password in the environment
# variable named by its argument (FINOTE_APP_PASSWORD), as PostgreSQL stores
# it in pg_authid: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
# (RFC 5802, RFC 7677). ALTER ROLE ... PASSWORD takes such a verifier as it
# is, so the password itself never reaches the server, where a statement
# log could keep it. PostgreSQL prepares a password with SASLprep first;
# for printable ASCII that changes nothing, so anything else is refused
# here rather than stored as a verifier the server would not reproduce.
# Reads the password from the environment, never from argv. Core Perl only.
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256 sha256);
use MIME::Base64 qw(encode_base64);

my $var = shift // die "usage: scram.pl ENV_VARIABLE\n";
my $password = $ENV{$var};
if (!defined $password || $password eq '') { print STDERR "$var is not set\n"; exit 2 }
if ($password !~ /\A[\x20-\x7e]+\z/) {
    print STDERR "$var must be printable ASCII (letters, digits, punctuation, space)\n";
    exit 2;
}

my $iterations = 4096;    # PostgreSQL's scram_iterations default
open my $rnd, '<:raw', '/dev/urandom' or die "/dev/urandom: $!\n";
read($rnd, my $salt, 16) == 16 or die "/dev/urandom: short read\n";
close $rnd;

# Hi(): PBKDF2 with HMAC-SHA-256, one block.
my $u = hmac_sha256($salt . pack('N', 1), $password);
my $salted = $u;
for (2 .. $iterations) {
    $u = hmac_sha256($u, $password);
    $salted ^= $u;
}
my $stored_key = sha256(hmac_sha256('Client Key', $salted));
my $server_key = hmac_sha256('Server Key', $salted);
my $b64 = sub { encode_base64($_[0], '') };
print 'SCRAM-SHA-256$', $iterations, ':', $b64->($salt), '$', $b64->($stored_key), ':', $b64->($server_key);
