# The repository stands alone: its documents point only at what it holds.
# Every relative Markdown link resolves to a file (and its #anchor to a
# heading there), every path named in backticks that starts at one of the
# tree's top-level directories exists, no file points outside the
# repository, and the README names the version finote.control installs.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp $ROOT);
use Test::More;

chdir $ROOT or die "$ROOT: $!";
my @files = grep { -f } split /\n/, `git ls-files`;
die "git ls-files failed\n" if $?;
my @docs = grep { /\.md$/ } @files;
ok(@docs >= 8, 'the documents: ' . scalar(@docs));

# GitHub's anchor of a heading: lower case, punctuation dropped, spaces to -.
sub slug {
    my ($h) = @_;
    $h = lc $h;
    $h =~ s/[^\w\- ]//g;
    $h =~ tr/ /-/;
    return $h;
}
my %anchors;
sub anchors_of {
    my ($md) = @_;
    $anchors{$md} //= { map { (slug($_) => 1) } slurp($md) =~ /^#{1,6}\s+(.*?)\s*$/mg };
    return $anchors{$md};
}

my $top = join '|', map { quotemeta } grep { -d } qw(extension shim sql test docker bin debian .ci .github);
my (@broken, @missing);
for my $md (@docs) {
    (my $dir = $md) =~ s{[^/]*$}{};
    my $text = slurp($md);
    (my $prose = $text) =~ s/^```.*?^```//msg;    # code blocks hold commands, not links
    for my $link ($prose =~ /\]\(([^)\s]+)\)/g) {
        next if $link =~ m{^[a-z][a-z0-9+.-]*:}i;    # http:, mailto:
        my ($path, $anchor) = split /#/, $link, 2;
        my $target = length $path ? "$dir$path" : $md;
        1 while $target =~ s{(^|/)(?!\.\./)[^/]+/\.\./}{$1};
        if (!-e $target) { push @broken, "$md: $link"; next }
        push @broken, "$md: $link (no such heading)"
          if defined $anchor && length $anchor && $target =~ /\.md$/ && !anchors_of($target)->{$anchor};
    }
    for my $ref ($prose =~ /`((?:$top)\/[^`\s]*)`/g) {
        next if $ref =~ /[<>*{}\$]|\bNN\b|\.\.\.|--[A-Z]--|finote--\d+(\.\d+)*--\d+(\.\d+)*\.sql$/ && !-e $ref;
        (my $path = $ref) =~ s/[:#].*$//;
        next if -e $path || -e "$dir$path";    # from the top, or beside the document
        next if system('git', 'check-ignore', '-q', $path) == 0;    # made by the user (docker/.env)
        push @missing, "$md: $ref";
    }
}
is(join("\n", @broken), '', 'every relative link resolves, anchors included');
is(join("\n", @missing), '', 'every path named in backticks exists');

my @outside = grep { $_ ne 'test/t/304_docs.t' && !m{^test/bench/results/} }
  grep { slurp($_) =~ /CONTRACT\.md|INTERFACE\.md|\.\.\/shared\// } @files;
is("@outside", '', 'no file points outside the repository');

my ($default) = slurp('extension/finote.control') =~ /^default_version = '([^']+)'/m;
like(slurp('README.md'), qr/^## The SQL API \(extension \Q$default\E\)$/m,
    "README's SQL API names the installed version, $default");

done_testing();
