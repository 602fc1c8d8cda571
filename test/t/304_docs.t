# The repository stands alone: its documents point only at what it holds.
# Every relative Markdown link resolves to a file (and its #anchor to a
# heading there), every path named in backticks that starts at one of the
# tree's top-level directories exists, no file points outside the
# repository, the SQL API reference names the version finote.control
# installs, and no document names a version or a component that does not
# exist: every upgrade script a document names is in sql/, every version an
# example passes to the tools is one of sql/'s, and a component's version is
# said with the Debian release it is of, and is that release's when this
# machine runs it. The README stays a page a newcomer reads in two minutes.
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
like(slurp('extension/README.md'), qr/^## The SQL API \(extension \Q$default\E\)$/m,
    "extension/README.md's SQL API names the installed version, $default");

# Versions: those sql/ holds scripts for, and the scripts themselves.
my %scripts = map { s{^sql/}{}r => 1 } grep { m{^sql/finote--.*\.sql$} } @files;
my %versions = map { /^finote--(?:[\d.]+--)?([\d.]+)\.sql$/ ? ($1 => 1) : () } keys %scripts;
my (@no_script, @no_version);
for my $md (grep { !m{^test/bench/results/} } @docs) {
    my $text = slurp($md);
    for my $s ($text =~ /\b(finote--\d+(?:\.\d+)*(?:--\d+(?:\.\d+)*)?\.sql)\b/g) {
        push @no_script, "$md: $s" unless $scripts{$s};
    }
    # what an example hands the tools: migrate TO, new-version FROM TO,
    # VERSION 'x', UPDATE TO 'x', make db-migrate TO=x
    my @named = (
        $text =~ /finote-db migrate (\d+\.\d+(?:\.\d+)?)\b/g,
        $text =~ /new-version (\d+\.\d+(?:\.\d+)?) (\d+\.\d+(?:\.\d+)?)\b/g,
        $text =~ /\b(?:VERSION|UPDATE TO) '(\d+\.\d+(?:\.\d+)?)'/g,
        $text =~ /\b(?:TO|FROM)=(\d+\.\d+(?:\.\d+)?)\b/g);
    for my $v (@named) {
        push @no_version, "$md: $v" unless $versions{$v};
    }
}
is(join("\n", sort @no_script), '', 'every upgrade script a document names is in sql/');
is(join("\n", sort @no_version), '', 'every version an example names has its scripts in sql/');

# Components: "civetweb 1.15" alone says nothing true for long; with its
# release ("1.15 on bookworm") it can be checked where that release runs.
my ($codename) = (-r '/etc/os-release' ? slurp('/etc/os-release') : '') =~ /^VERSION_CODENAME=(\w+)/m;
my %package = (civetweb => 'libcivetweb-dev', nginx => 'nginx', pgbackrest => 'pgbackrest',
    patroni => 'patroni', haproxy => 'haproxy', etcd => 'etcd-server');
my (@unplaced, @wrong);
for my $md (grep { !m{^test/bench/(results/|FINDINGS)} } @docs) {
    my $text = slurp($md);
    while ($text =~ /\b(civetweb|nginx|pgbackrest|patroni|haproxy|etcd)[ (]+(?:Debian's:? )?(\d+\.\d+(?:\.\d+)?)([^\n]{0,24})/gi) {
        my ($name, $ver, $after) = (lc $1, $2, $3);
        my ($release) = $after =~ /\b(bookworm|trixie|sid)\b/;
        if (!$release) { push @unplaced, "$md: $name $ver"; next }
        next unless $codename && $release eq $codename;
        my $have = `dpkg-query -W -f='\${Version}' $package{$name} 2>/dev/null`;
        push @wrong, "$md: $name $ver on $release, installed $have"
          if length $have && $have !~ /^(?:\d+:)?\Q$ver\E(?:[.+~-]|$)/;
    }
}
is(join("\n", @unplaced), '', 'a component version a document names says its Debian release');
is(join("\n", @wrong), '', "the versions said for $codename are the ones installed") if $codename;

my $readme = slurp('README.md');
my $lines = () = $readme =~ /\n/g;
ok($lines <= 150, "README.md is short: $lines lines (at most 150)");

done_testing();
