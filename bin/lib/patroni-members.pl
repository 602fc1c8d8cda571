#!/usr/bin/perl
# patroni-members.pl URL[,URL...]: the members of a Patroni cluster, as its
# REST API lists them (GET URL/cluster), one a line: NAME HOST PORT ROLE STATE.
# The URLs are tried in turn (a member that is down does not answer) until
# one answers 200 with JSON; each has 5 seconds. Exits 1, saying why, when
# none does. For bin/finote-db migrate (FINOTE_PATRONI_URL). Core Perl only.
use strict; use warnings;
use HTTP::Tiny; use JSON::PP;
my @urls = grep { length } split /,/, ($ARGV[0] // "");
@urls or do { print STDERR "usage: patroni-members.pl URL[,URL...]\n"; exit 2 };
my $http = HTTP::Tiny->new(timeout => 5, max_size => 1 << 20);
my @why;
for my $u (@urls) {
  $u =~ s{/+$}{};
  $u =~ m{^https?://[^/\s]+$} or do { push @why, "'$u' is not http://HOST:PORT"; next };
  my $r = $http->get("$u/cluster");
  if (!$r->{success}) { push @why, "$u: $r->{status} $r->{reason}"; next }
  my $c = eval { decode_json($r->{content}) };
  if (!$c || ref $c->{members} ne "ARRAY") { push @why, "$u: not a Patroni /cluster answer"; next }
  for my $m (@{$c->{members}}) {
    my @f = map { $m->{$_} // "-" } qw(name host port role state);
    if (grep { !/^[A-Za-z0-9_.:-]+$/ } @f) { print STDERR "$u: a member with an unexpected name or address\n"; exit 1 }
    print join(" ", @f), "\n";
  }
  exit 0;
}
print STDERR "no Patroni REST API answered: ", join("; ", @why), "\n";
exit 1;
