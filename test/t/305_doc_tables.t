# Each table of the HTTP API exists once in prose, and is held to its
# source: shim/README.md's route table to the route table the binary holds
# (finote-shim --routes: method, path, success status, since which version),
# and its SQLSTATE table to shim/errors.c's rows (SQLSTATE or class, status,
# code). A row added to either side and not to the other fails here.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp $ROOT);
use Test::More;

chdir $ROOT or die "$ROOT: $!";
my $bin = $ENV{FINOTE_SHIM_BIN} || 'shim/finote-shim';
my $readme = slurp('shim/README.md');

# --- routes ---------------------------------------------------------------------
my @code = map { chomp; my ($m, $p, $s, $v) = split / /; "$v $m $p $s" } `'$bin' --routes`;
is($?, 0, 'finote-shim --routes');
my ($routes) = $readme =~ /^## Routes\n(.*?)^## /ms;
my @doc;
for my $row ($routes =~ /^\|\s*(\d[\d.]*\s*\|.*)$/mg) {
    my @c = map { s/^\s+|\s+$//gr } split /\|/, $row;
    my ($method, $path) = $c[1] =~ /^`(\w+) (\S+)`$/ or next;
    push @doc, "$c[0] $method $path $c[-1]";
}
ok(@code > 20, 'the binary lists its routes: ' . scalar(@code));
is(join("\n", sort @doc), join("\n", sort @code),
    "shim/README.md's route table has the binary's rows: since, method, path, status");

# --- SQLSTATEs ------------------------------------------------------------------
my $errors_c = slurp('shim/errors.c');
my ($map) = $errors_c =~ /sqlstate_map\[\] = \{(.*?)\n\};/s or die "errors.c: no sqlstate_map\n";
my @rows = $map =~ /\{"([0-9A-Z]{2}\*|[0-9A-Z]{5})", \{(\d{3}), "(\w+)"/g;
my %code_rows;
while (my ($s, $st, $c) = splice @rows, 0, 3) { $code_rows{$s} = "$st $c" }
ok(keys %code_rows >= 10, 'errors.c rows: ' . scalar(keys %code_rows));

my ($errors) = $readme =~ /^## Errors\n(.*?)^From the shim itself/ms or die "shim/README.md: no Errors table\n";
my %doc_rows;
for my $row ($errors =~ /^\|(.*)\|\s*$/mg) {
    my @c = map { s/^\s+|\s+$//gr } split /\|/, $row;
    next unless @c >= 3 && $c[1] =~ /^\d{3}$/;
    my ($status, $code) = ($c[1], $c[2] =~ s/`//gr);
    next if $code eq 'internal';    # "anything else": errors.c's fallback, not a row
    # "class 22 (22023, ...)": the class; "class 08, 57P01, ...": each named
    (my $states = $c[0]) =~ s/\(.*?\)//g;
    for my $s ($states =~ /\b(class \d\d|[0-9A-Z]{5})\b/g) {
        $s =~ s/^class (\d\d)$/$1*/;
        $doc_rows{$s} = "$status $code";
    }
}
is(join("\n", map { "$_ $doc_rows{$_}" } sort keys %doc_rows),
   join("\n", map { "$_ $code_rows{$_}" } sort keys %code_rows),
   "shim/README.md's SQLSTATE table has errors.c's rows: SQLSTATE, status, code");

done_testing();
