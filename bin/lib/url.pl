#!/usr/bin/perl
# url.pl MODE URL [ARG]: the one reader of libpq URLs for bin/finote-db and
# bin/finote-release (postgresql://user[:password]@host[:port][,...]/dbname?k=v).
# MODE is one of
#   mask    the URL with its password hidden, for messages
#   nopass  the URL without its password, for argv
#   pass    the decoded password (for PGPASSWORD), or nothing
#   withdb  the same server, database ARG (percent-encoded), no password
#   athost  the same URL at HOST:PORT ARG instead of its hosts, no password
#   env     PGHOST/PGPORT/PGUSER/... assignments for tools that take no URL
# Exits 2 when URL is not a postgresql:// URL. Core Perl only.
use strict; use warnings;
my ($mode, $url, $arg) = @ARGV;
my $dec = sub { my $s = shift; return undef unless defined $s; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s };
my $enc = sub { my $s = shift; $s =~ s/([^A-Za-z0-9_.~-])/sprintf "%%%02X", ord $1/ge; $s };
$url =~ m{^(postgres(?:ql)?://)([^/?#]*)(/[^?#]*)?(\?[^#]*)?$}
  or do { print STDERR "DATABASE_URL is not a postgresql:// URL\n"; exit 2 };
my ($scheme, $auth, $path, $query) = ($1, $2, $3 // "", $4 // "");
my ($userinfo, $hostport) = $auth =~ /^(.*)@([^@]*)$/ ? ($1, $2) : (undef, $auth);
my ($user, $pass);
($user, $pass) = $userinfo =~ /^([^:]*)(?::(.*))?$/ if defined $userinfo;
my %q; my @qs;
for my $kv (grep { length } split /&/, (length $query ? substr($query, 1) : "")) {
  my ($k, $v) = split /=/, $kv, 2; $v //= "";
  $q{$k} = $dec->($v); push @qs, [$k, $v];
}
my $qstr = sub { my $hide = shift;
  my @p = map { $_->[0] eq "password" ? ($hide eq "mask" ? "password=***" : ())
              : ($_->[0] eq "dbname" && $mode eq "withdb") ? ()
              : ($_->[0] =~ /^(?:host|hostaddr|port)$/ && $mode eq "athost") ? () : "$_->[0]=$_->[1]" } @qs;
  @p ? "?" . join("&", @p) : "" };
my $u = defined $user ? $user : undef;
if ($mode eq "mask") {
  my $ui = defined $userinfo ? $u . (defined $pass ? ":***" : "") . "@" : "";
  print $scheme, $ui, $hostport, $path, $qstr->("mask");
  # An empty URL: libpq takes every part from PGHOST, PGPORT, ...
  print " (libpq's PG* variables)" unless length $auth || length $path || length $query;
} elsif ($mode eq "nopass" or $mode eq "withdb" or $mode eq "athost") {
  my $ui = defined $userinfo ? "$u@" : "";
  my $p = $mode eq "withdb" ? "/" . $enc->($arg) : $path;
  my $hp = $mode eq "athost" ? $arg : $hostport;
  print $scheme, $ui, $hp, $p, $qstr->("drop");
} elsif ($mode eq "pass") {
  print $dec->($pass) // $q{password} // "";
} elsif ($mode eq "env") {
  my (@h, @p);
  for my $hp (split /,/, $hostport) {
    if ($hp =~ /^\[(.*)\](?::(\d*))?$/ or $hp =~ /^([^:]*)(?::(\d*))?$/) { push @h, $dec->($1); push @p, $2 // "" }
  }
  my %e;
  $e{PGHOST} = join ",", @h if grep { length } @h;
  $e{PGPORT} = join ",", @p if grep { length } @p;
  $e{PGUSER} = $dec->($u) if defined $u && length $u;
  my %map = (host => "PGHOST", port => "PGPORT", user => "PGUSER", sslmode => "PGSSLMODE",
             sslrootcert => "PGSSLROOTCERT", sslcert => "PGSSLCERT", sslkey => "PGSSLKEY",
             connect_timeout => "PGCONNECT_TIMEOUT", options => "PGOPTIONS");
  $e{$map{$_}} = $q{$_} for grep { $map{$_} } keys %q;
  for (sort keys %e) { (my $v = $e{$_}) =~ s/\x27/\x27\\\x27\x27/g; print "export $_=\x27$v\x27\n" }
} else {
  print STDERR "url.pl: unknown mode $mode\n"; exit 2;
}
