# FinoteDb: helpers for the operator-tool tests (test/t/2NN_*.t).
#
# Each test runs PostgreSQL from a private, relocated copy of the system
# installation under .finote/<name>/inst: PostgreSQL finds its share and lib
# directories relative to its binary, so the copy's extension directory holds
# exactly the finote scripts the test gives it (the source tree's, or a
# modified copy of them) and nothing of the system's finote. The shared
# library is the one `make install` put into the system's pkglibdir. The
# cluster itself is started with test/bin/pgcluster on a free_port().
# Everything started is stopped in END, also when the test dies. Core Perl only.
package FinoteDb;

use strict;
use warnings;
use File::Glob qw(:bsd_glob);    # glob() keeps paths with spaces whole
use Cwd qw(abs_path);
use File::Basename qw(dirname basename);
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use FinoteTest ();
use Exporter 'import';

our @EXPORT = qw($ROOT $TOOL $RELEASE release_tool free_port private_install reinstall_scripts start_server stop_server
  tool psql_ok psql_val src_copy slurp spew url_for);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');
our $TOOL = "$ROOT/bin/finote-db";
our $RELEASE = "$ROOT/bin/finote-release";
my (@servers);

my $SYS_CONFIG = $ENV{PG_CONFIG} || 'pg_config';
sub sys_config {
    my ($what) = @_;
    my $v = `$SYS_CONFIG --$what`;
    die "$SYS_CONFIG --$what failed\n" if $?;
    chomp $v;
    return $v;
}

# A file's text, or '' when it cannot be read (the shim tests' helper).
sub slurp { return FinoteTest::slurp(@_) }

# A port for one server of this test (FinoteTest::free_port).
sub free_port { return FinoteTest::free_port() }

sub spew {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
}

# A copy of the source tree's sql/ and extension/finote.control in a temp
# directory (FINOTE_SRC_DIR for the tool), to change without touching the tree.
sub src_copy {
    my $dir = tempdir(CLEANUP => 1);
    make_path("$dir/sql", "$dir/extension");
    copy($_, "$dir/sql/") or die "copy $_: $!" for glob("$ROOT/sql/finote--*.sql"), "$ROOT/sql/SHA256SUMS";
    copy("$ROOT/extension/finote.control", "$dir/extension/") or die "copy control: $!";
    return $dir;
}

# private_install(DIR, SRC): a relocated PostgreSQL under DIR/inst whose
# extension directory has SRC's finote scripts and control file. Returns the
# path of a pg_config wrapper that names the private bindir.
sub private_install {
    my ($dir, $src) = @_;
    $src //= $ROOT;
    my ($bindir, $sharedir, $pkglibdir) = map { sys_config($_) } qw(bindir sharedir pkglibdir);
    # Reproduce the layout below the common prefix of the three directories.
    my @parts = map { [ grep { length } split m{/}, $_ ] } $bindir, $sharedir, $pkglibdir;
    my $common = 0;
    while (1) {
        my $p = $parts[0][$common];
        last unless defined $p && !grep { !defined $_->[$common] || $_->[$common] ne $p } @parts;
        $common++;
    }
    my $rel = sub { join '/', @{ $_[0] }[$common .. $#{ $_[0] }] };
    my $inst = "$dir/inst";
    remove_tree($inst);
    my ($b, $s, $l) = map { "$inst/" . $rel->($_) } @parts;
    make_path($b, "$s/extension", $l);
    for my $f (glob "$bindir/*") {
        my $n = basename($f);
        if ($n =~ /^(postgres|pg_ctl|initdb)$/) { copy($f, "$b/$n") or die "copy $f: $!"; chmod 0755, "$b/$n" }
        else { symlink $f, "$b/$n" or die "symlink $f: $!" }
    }
    for my $f (glob "$sharedir/*") {
        next if basename($f) eq 'extension';
        symlink $f, "$s/" . basename($f) or die "symlink $f: $!";
    }
    for my $f (glob "$sharedir/extension/*") {
        next if basename($f) =~ /^finote[.-]/;
        symlink $f, "$s/extension/" . basename($f) or die "symlink $f: $!";
    }
    for my $f (glob "$pkglibdir/*") {
        symlink $f, "$l/" . basename($f) or die "symlink $f: $!";
    }
    copy($_, "$s/extension/") or die "copy $_: $!" for glob("$src/sql/finote--*.sql");
    copy("$src/extension/finote.control", "$s/extension/") or die "copy control: $!";
    my $wrapper = "$dir/pg_config";
    spew($wrapper, "#!/bin/sh\ncase \"\$1\" in --bindir) echo '$b' ;; *) exec '$SYS_CONFIG' \"\$@\" ;; esac\n");
    chmod 0755, $wrapper;
    system('chmod', '-R', 'a+rX', $dir) == 0 or die "chmod failed";
    return wantarray ? ($wrapper, "$s/extension") : $wrapper;
}

# Replace the private install's finote scripts with SRC's (sql/ and
# extension/finote.control of a tree such as src_copy's).
sub reinstall_scripts {
    my ($srv, $src) = @_;
    my $ext = $srv->{extdir};
    unlink glob("$ext/finote--*.sql"), "$ext/finote.control";
    copy($_, "$ext/") or die "copy $_: $!" for glob("$src/sql/finote--*.sql");
    copy("$src/extension/finote.control", "$ext/") or die "copy control: $!";
    system('chmod', '-R', 'a+rX', $ext) == 0 or die "chmod failed";
}

# start_server(NAME, PORT, [SRC]): a private install and a running cluster
# in .finote/NAME. Returns a hash: dir, port, pg_config, url (of database
# "postgres"), and db_url(DB).
sub start_server {
    my ($name, $port, $src) = @_;
    my $dir = "$FinoteTest::STATE/$name";
    stop_dir($dir, 1);
    remove_tree($dir);
    make_path($dir);
    my ($pgc, $extdir) = private_install($dir, $src);
    # The port may be taken for a moment as some client's ephemeral port
    # (the test ports lie in Linux's ephemeral range): retry a few times.
    my $out;
    for my $try (1 .. 15) {
        $out = `PG_CONFIG='$pgc' '$ROOT/test/bin/pgcluster' start '$dir/cluster' $port 2>&1`;
        last unless $?;
        last unless slurp("$dir/cluster/postgres.log") =~ /Address already in use/;
        sleep 2;
    }
    die "pgcluster start $dir failed: $out" if $?;
    my $srv = { name => $name, dir => $dir, port => $port, pg_config => $pgc, extdir => $extdir };
    push @servers, $srv;
    return $srv;
}

sub url_for {
    my ($srv, $db, $user) = @_;
    $user //= 'postgres';
    return "postgresql://$user\@127.0.0.1:$srv->{port}/" . ($db // 'postgres');
}

sub stop_dir {
    my ($dir, $quiet) = @_;
    return unless -f "$dir/pg_config" && -d "$dir/cluster";
    system("PG_CONFIG='$dir/pg_config' '$ROOT/test/bin/pgcluster' stop '$dir/cluster'" . ($quiet ? ' >/dev/null 2>&1' : ''));
}

sub stop_server {
    my ($srv) = @_;
    stop_dir($srv->{dir});
    @servers = grep { $_ != $srv } @servers;
}

END {
    my $status = $?;
    stop_dir($_->{dir}, 1) for @servers;
    $? = $status;
}

# tool(SRV, [ARGS], ENV => {...}, STDIN => text|undef, DB => name, CWD => dir, TOOL => path)
# runs bin/finote-db (or TOOL); returns (exit code, stdout, stderr).
sub tool {
    my ($srv, $args, %o) = @_;
    my $tmp = tempdir(CLEANUP => 1);
    my %env = (
        PG_CONFIG => $srv ? $srv->{pg_config} : $SYS_CONFIG,
        ($srv ? (DATABASE_URL => url_for($srv, $o{DB} // 'finote')) : ()),
        %{ $o{ENV} // {} },
    );
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$tmp/out" or die;
        open STDERR, '>', "$tmp/err" or die;
        if (defined $o{STDIN}) { spew("$tmp/in", $o{STDIN}); open STDIN, '<', "$tmp/in" or die }
        else { open STDIN, '<', '/dev/null' or die }
        delete $ENV{NODE_ENV};
        delete $ENV{DATABASE_URL};
        for (keys %env) { if (defined $env{$_}) { $ENV{$_} = $env{$_} } else { delete $ENV{$_} } }
        chdir $o{CWD} if $o{CWD};
        exec($o{TOOL} // $TOOL, @$args) or die "exec: $!";
    }
    waitpid $pid, 0;
    my $code = $? >> 8;
    return ($code, slurp("$tmp/out"), slurp("$tmp/err"));
}

# release_tool(...): tool() running bin/finote-release (check, new-version,
# release) instead of bin/finote-db.
sub release_tool {
    my ($srv, $args, %o) = @_;
    return tool($srv, $args, %o, TOOL => $RELEASE);
}

# psql_val(SRV, DB, SQL): unaligned output as superuser; dies on error.
sub psql_val {
    my ($srv, $db, $sql) = @_;
    my $bindir = sys_config('bindir');
    local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
    local $ENV{PGTZ} = 'UTC';
    open my $fh, '-|', "$bindir/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
      '-h', '127.0.0.1', '-p', $srv->{port}, '-U', 'postgres', '-d', $db, '-c', $sql
      or die "psql: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh or die "psql failed on $db: $sql\n";
    $out =~ s/\n\z//;
    return $out;
}

# psql_ok(SRV, DB, SQL): true when the statement succeeds.
sub psql_ok {
    my ($srv, $db, $sql) = @_;
    my $bindir = sys_config('bindir');
    open my $save, '>&', \*STDERR or die;
    open STDERR, '>', '/dev/null' or die;
    my $ok = system("$bindir/psql", '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
        '-p', $srv->{port}, '-U', 'postgres', '-d', $db, '-c', $sql) == 0;
    open STDERR, '>&', $save or die;
    return $ok;
}

1;
