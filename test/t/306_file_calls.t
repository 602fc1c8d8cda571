# No C file calls another that calls it back, directly or around a longer
# loop: in extension/ and in shim/, the files form layers, so each reads on
# its own with only the files below it. A file's functions are the ones it
# defines with external linkage; a call is a use of one of those names in
# another file.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp $ROOT);
use Test::More;

chdir $ROOT or die "$ROOT: $!";
for my $dir (qw(extension shim)) {
    my @files = sort glob("$dir/*.c");
    my (%defines, %text);
    for my $f (@files) {
        (my $src = slurp($f)) =~ s{/\*.*?\*/}{}gs;    # comments name files and functions freely
        $src =~ s{"(?:[^"\\\n]|\\.)*"}{""}g;          # so do strings (SQL)
        $text{$f} = $src;
        # a definition at the start of a line, after its return type's line
        for my $name ($src =~ /^(?!static\b)[A-Za-z_][\w \t\*]*\n([a-z_][a-z0-9_]*)\(/mg) {
            $defines{$name} = $f;
        }
        for my $name ($src =~ /^(?!static\b)(?:const )?[A-Za-z_][\w \t\*]*?\b([a-z_][a-z0-9_]*)\[\]\s*=/mg) {
            $defines{$name} = $f;    # tables other files read (routes.c's routes[])
        }
    }
    my %calls;
    for my $f (@files) {
        for my $name (keys %defines) {
            my $g = $defines{$name};
            next if $g eq $f;
            $calls{$f}{$g} = $name if $text{$f} =~ /\b\Q$name\E\b/;
        }
    }
    # every loop, found by a depth-first walk from each file
    my @loops;
    my %seen_loop;
    for my $start (@files) {
        my @stack = ([$start, [$start]]);
        while (my $top = pop @stack) {
            my ($f, $path) = @$top;
            for my $g (sort keys %{ $calls{$f} || {} }) {
                if ($g eq $start) {
                    my @cycle = @$path;
                    my $key = join ' ', sort @cycle;
                    next if $seen_loop{$key}++;
                    my @names = map { $calls{ $cycle[$_] }{ $cycle[($_ + 1) % @cycle] } } 0 .. $#cycle;
                    push @loops, join(' -> ', @cycle, $start) . ' (' . join(', ', @names) . ')';
                    next;
                }
                next if grep { $_ eq $g } @$path;
                push @stack, [$g, [@$path, $g]] if @$path < 8;
            }
        }
    }
    ok(keys %defines > 10, "$dir: " . scalar(keys %defines) . ' functions of ' . scalar(@files) . ' files');
    is(join("\n", sort @loops), '', "$dir: no file calls a file that calls it back");
}

done_testing();
