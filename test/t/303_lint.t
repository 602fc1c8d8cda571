# .ci/lint, the C lint of `make lint`, on small files of its own: a file in
# the project's style passes; one out of style fails with a diff and is put
# right by --fix; a real bug fails cppcheck. (`make lint` runs it on the tree.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp sh_words $ROOT);
use File::Path qw(make_path remove_tree);
use Test::More;

my $root = $ROOT;
my $work = "$root/.finote/t303";    # under the repository: .clang-format applies
remove_tree($work);
make_path($work);

for my $tool (qw(clang-format cppcheck)) {
    my ($path) = grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    plan skip_all => "$tool is not installed (test/debian-packages.txt; test/bin/deps)" unless $path;
}

sub put {
    my ($name, $text) = @_;
    open my $fh, '>', "$work/$name" or die;
    print $fh $text;
    close $fh;
    return "$work/$name";
}
sub lint {
    my (@args) = @_;
    my $line = sh_words("$root/.ci/lint", @args);
    my $out = `$line 2>&1`;
    return ($? >> 8, $out);
}

my $good = join "\n", '/*', ' * good.c: the style of .clang-format.', ' */',
  '#include <stdbool.h>', '', 'static int', 'count_words(const char *s)', '{',
  "\tint\t n = 0;", "\tbool in_word = false;", '', "\tfor (; *s; s++)", "\t{",
  "\t\tif (*s == ' ')", "\t\t\tin_word = false;", "\t\telse if (!in_word)", "\t\t{",
  "\t\t\tin_word = true;", "\t\t\tn++;", "\t\t}", "\t}", "\treturn n;", '}', '',
  'int', 'words(const char *s);', '', 'int', 'words(const char *s)', '{',
  "\treturn s ? count_words(s) : 0;", '}', '';

my ($rc, $out) = lint(put('good.c', $good));
is($rc, 0, 'a file in the project style passes') or diag $out;
like($out, qr/lint: ok/, 'lint says ok');

(my $ugly = $good) =~ s/\n\{/ {/g;    # K&R braces
$ugly =~ s/\t/  /g;                  # spaces, not tabs
my $ugly_file = put('ugly.c', $ugly);
($rc, $out) = lint($ugly_file);
is($rc, 1, 'K&R braces and space indentation fail');
like($out, qr/ugly\.c differs from \.clang-format/, 'the file is named');
like($out, qr/^    \+\{$/m, 'with a diff of what clang-format wants');
like($out, qr/run \.ci\/lint --fix/, 'and the command that fixes it');
unlike($out, qr/cppcheck:/, 'cppcheck finds nothing in it');

($rc, $out) = lint('--fix', $ugly_file);
is($rc, 0, '--fix formats it and then it passes') or diag $out;
is(slurp($ugly_file), $good, 'into exactly the project style');

my $bug = join "\n", '#include <string.h>', '', 'int', 'last(const char *s);', '', 'int',
  'last(const char *s)', '{', "\tchar\t\tbuf[4];", '', "\tstrncpy(buf, s, sizeof(buf));",
  "\treturn buf[4];", '}', '';
my $bug_file = put('bug.c', $bug);
($rc, $out) = lint('--fix', $bug_file);    # formatted, so only the bug is left
is($rc, 1, 'an out-of-bounds read fails the lint');
like($out, qr/cppcheck: .*bug\.c:\d+: error: .*out of bounds/, 'cppcheck reports it with file and line');

my $cf = slurp("$root/.clang-format");
for my $rule ('UseTab: Always', 'TabWidth: 4', 'IndentWidth: 4', 'BreakBeforeBraces: Allman',
    'AlwaysBreakAfterReturnType: TopLevelDefinitions', 'PointerAlignment: Right') {
    like($cf, qr/^\Q$rule\E$/m, ".clang-format: $rule (PostgreSQL style)");
}
like(slurp("$root/.ci/lint"), qr{files=\(extension/\*\.c extension/\*\.h shim/\*\.c shim/\*\.h test/bench/\*\.c\)},
    'by default .ci/lint covers extension/, shim/ and the bench\'s C (test/bench/tpc.c)');

done_testing();
