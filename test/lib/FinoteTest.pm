# FinoteTest: shared helpers for the shim's end-to-end tests (test/t/1NN_*.t).
#
# A test starts a private PostgreSQL cluster under .finote/<name> with
# test/bin/pgcluster, installs the extension into a fresh database, starts
# the shim binary ($FINOTE_SHIM_BIN, default shim/finote-shim) on its own
# port and talks HTTP to it. Everything started is stopped in END, also when
# the test dies. Core Perl only.
#
# Under FINOTE_SHIM_BIN=shim/finote-shim-asan the shim's stderr is checked
# for sanitizer reports when it stops (stop_shim), and a report fails the test.
package FinoteTest;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep time);
use Fcntl qw(:flock);
use Exporter 'import';

our @EXPORT = qw(free_port start_cluster stop_cluster pgcluster_start start_shim stop_shim wait_exit api
  raw_request register_and_login psql slurp access_log logs_clean metric_value sh_words $ROOT $STATE);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');
# The checkout's .finote by its physical path (test/bin/statedir): what a
# server running as postgres is given, since postgres may be unable to enter
# the checkout itself (a clone in /root).
our $STATE = `'$ROOT/test/bin/statedir'`;
chomp $STATE;
die "test/bin/statedir failed\n" if $? || !$STATE;
my $JSON = JSON::PP->new->utf8->canonical;
my (@clusters, @shims, @port_locks);

$SIG{PIPE} = 'IGNORE';    # raw requests write to sockets the shim may close

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}

# The words as one sh command line, each quoted: the checkout's path may
# have spaces.
sub sh_words {
    return join ' ', map { (my $w = $_) =~ s/'/'\\''/g; "'$w'" } @_;
}

sub run_quiet {
    my (@cmd) = @_;
    my $line = sh_words(@cmd);
    my $out = `$line 2>&1`;
    die "failed ($?): @cmd\n$out" if $?;
    return $out;
}

# psql as the cluster's superuser; returns the unaligned output.
sub psql {
    my ($port, $db, $sql) = @_;
    my $bindir = `pg_config --bindir`;
    chomp $bindir;
    local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
    open my $fh, '-|', "$bindir/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
      '-h', '127.0.0.1', '-p', $port, '-U', 'postgres', '-d', $db, '-c', $sql
      or die "psql: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh or die "psql failed: $sql\n";
    $out =~ s/\s+\z//;
    return $out;
}

# free_port(): a TCP port on 127.0.0.1 for one server of this test (a
# cluster, a shim, a pooler), so that test files can run in parallel
# (prove -j2), as PgBouncer's and PostgreSQL's own suites pick theirs. A
# port of FINOTE_TEST_PORTS (54400-54999) that nothing listens on and that
# no other test holds: each test keeps a lock on .finote/ports/PORT until it
# exits. test-all keeps Linux's ephemeral ports off the range (root only).
sub free_port {
    my ($lo, $hi) = split /-/, ($ENV{FINOTE_TEST_PORTS} // '54400-54999');
    my $dir = "$ROOT/.finote/ports";
    make_path($dir);
    for (1 .. 1000) {
        my $port = $lo + int(rand($hi - $lo + 1));
        open my $lock, '>', "$dir/$port" or die "$dir/$port: $!";
        next unless flock($lock, LOCK_EX | LOCK_NB);
        my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
            Proto => 'tcp', ReuseAddr => 1, Listen => 1);
        next unless $probe;
        close $probe;
        push @port_locks, $lock;
        return $port;
    }
    die "free_port: no free port in $lo-$hi\n";
}

# Start (or restart) the cluster in $dir. Its port lies in Linux's ephemeral
# range, so some client's outgoing connection may hold it for a moment:
# retry while the server says the address is in use.
sub pgcluster_start {
    my ($dir, $port) = @_;
    my $out;
    for my $try (1 .. 15) {
        $out = `'$ROOT/test/bin/pgcluster' start '$dir' $port 2>&1`;
        return unless $?;
        last unless slurp("$dir/postgres.log") =~ /Address already in use/;
        sleep 1;
    }
    die "pgcluster start $dir $port failed: $out";
}

# A cluster with a fresh database "finote" holding the extension (at the
# default version, or version => '1.0'), and the login role the shim uses.
# Returns (dir, DATABASE_URL).
sub start_cluster {
    my ($name, $port, %opt) = @_;
    my $dir = "$STATE/$name";
    make_path($dir);
    pgcluster_start($dir, $port);
    push @clusters, $dir;
    psql($port, 'postgres', 'DROP DATABASE IF EXISTS finote WITH (FORCE)');
    psql($port, 'postgres', 'CREATE DATABASE finote');
    psql($port, 'finote', 'CREATE EXTENSION finote' . ($opt{version} ? " VERSION '$opt{version}'" : ''));
    run_quiet('env', "DATABASE_URL=postgresql://postgres\@127.0.0.1:$port/finote", "$ROOT/bin/finote-db", 'app-role', 'finote_app');
    return ($dir, "postgresql://finote_app\@127.0.0.1:$port/finote");
}

sub stop_cluster {
    my ($dir) = @_;
    run_quiet("$ROOT/test/bin/pgcluster", 'stop', $dir);
}

sub shim_bin {
    my $bin = $ENV{FINOTE_SHIM_BIN} || 'shim/finote-shim';
    return $bin =~ m{^/} ? $bin : "$ROOT/$bin";
}

# Start the shim with the given environment (PORT required). Waits for
# /healthz. Returns a hash: pid, port, url, out (stdout log), err (stderr log).
# With wait => 0 it does not wait (for tests of refused configurations).
sub start_shim {
    my (%env) = @_;
    my $wait = exists $env{wait} ? delete $env{wait} : 1;
    my $tag  = delete $env{tag} // "shim-$env{PORT}";
    my $dir  = "$STATE/logs";
    make_path($dir);
    my $shim = {
        port => $env{PORT},
        url  => "http://127.0.0.1:$env{PORT}",
        out  => "$dir/$tag.out",
        err  => "$dir/$tag.err",
    };
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        delete @ENV{qw(SESSION_SECRET SESSION_NAME CORS_ORIGIN NODE_ENV DB_POOL_MAX
          FINOTE_WEB_ROOT DATABASE_URL PORT)};
        $ENV{FINOTE_LISTEN_ADDR} = '127.0.0.1';
        $ENV{ASAN_OPTIONS} = 'detect_leaks=1:abort_on_error=0';
        $ENV{UBSAN_OPTIONS} = 'print_stacktrace=1';
        while (my ($k, $v) = each %env) {
            if (defined $v) { $ENV{$k} = $v } else { delete $ENV{$k} }
        }
        open STDOUT, '>', $shim->{out} or die;
        open STDERR, '>', $shim->{err} or die;
        my $bin = shim_bin();
        exec { $bin } $bin or die "exec: $!";
    }
    $shim->{pid} = $pid;
    push @shims, $shim;
    return $shim unless $wait;
    my $http = HTTP::Tiny->new(timeout => 2);
    for (1 .. 100) {
        my $r = $http->get("$shim->{url}/healthz");
        return $shim if $r->{status} == 200;
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.1;
    }
    die "shim did not come up:\n" . slurp($shim->{err});
}

# Wait for the shim to exit (after a signal, or by itself); returns the exit
# status or undef on timeout.
sub wait_exit {
    my ($shim, $timeout) = @_;
    my $until = time + $timeout;
    while (time < $until) {
        my $r = waitpid($shim->{pid}, WNOHANG);
        if ($r == $shim->{pid}) {
            $shim->{exited} = 1;
            return $shim->{status} = $?;
        }
        sleep 0.05;
    }
    return undef;
}

sub sanitizer_report {
    my ($shim) = @_;
    my $err = slurp($shim->{err});
    return $err =~ /(ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer)/ ? $err : '';
}

# Stop with SIGTERM; checks a clean exit and a clean sanitizer log.
sub stop_shim {
    my ($shim) = @_;
    kill 'TERM', $shim->{pid} unless $shim->{exited};
    my $status = $shim->{exited} ? $shim->{status} : wait_exit($shim, 30);
    is($status, 0, "shim on port $shim->{port} exits 0 on SIGTERM");
    my $report = sanitizer_report($shim);
    is($report, '', "no sanitizer report from the shim on port $shim->{port}");
    return $status;
}

# One API call. $body: a Perl structure (sent as JSON), a string (sent as
# is), or undef. Returns {status, headers, content, json}. A $shim with a
# local_address connects from it (another loopback address: another client).
sub api {
    my ($shim, $method, $path, $body, %headers) = @_;
    my %opt = (headers => {%headers});
    if (defined $body) {
        $opt{content} = ref $body ? $JSON->encode($body) : $body;
        $opt{headers}{'Content-Type'} //= 'application/json';
    }
    my $r = HTTP::Tiny->new(timeout => 30, max_redirect => 0,
        ($shim->{local_address} ? (local_address => $shim->{local_address}) : ()))
      ->request($method, "$shim->{url}$path", \%opt);
    my $json = eval { $JSON->decode($r->{content}) } if length($r->{content} // '');
    return { %$r, json => $json };
}

# Raw bytes over a socket; returns what came back (until close or timeout).
sub raw_request {
    my ($port, $bytes, $timeout) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 5)
      or die "connect: $!";
    print $s $bytes;
    my $out = '';
    my $until = time + ($timeout // 10);
    $s->blocking(0);
    while (time < $until) {
        my $n = sysread($s, my $buf, 65536);
        if (defined $n && $n == 0) { last }
        if ($n) { $out .= $buf; next }
        sleep 0.02;
    }
    close $s;
    return $out;
}

# Register a user and log in; returns (login response, cookie "name=value").
sub register_and_login {
    my ($shim, $user, $password, $cookie_name) = @_;
    $cookie_name //= 'finote.sid';
    my $r = api($shim, 'POST', '/api/auth/register', { username => $user, password => $password });
    die "register $user: $r->{status} $r->{content}" unless $r->{status} == 201;
    $r = api($shim, 'POST', '/api/auth/login', { username => $user, password => $password });
    die "login $user: $r->{status} $r->{content}" unless $r->{status} == 200;
    my $set = $r->{headers}{'set-cookie'} // '';
    $set = $set->[0] if ref $set;
    my ($pair) = $set =~ /^(\Q$cookie_name\E=[^;]*)/;
    return ($r, $pair);
}

# The shim's access log (its stdout), holding the lines of every request
# answered so far. The shim writes the log in batches, at most 100 ms after a
# line and at exit: a running shim is sent one more request, to a unique
# path, and we wait (at most 5 s) for that request's line.
my $log_marks = 0;

sub access_log {
    my ($shim) = @_;
    return slurp($shim->{out}) if $shim->{exited};
    my $mark = sprintf('/log-mark-%d-%d', $$, ++$log_marks);
    api($shim, 'GET', $mark);
    my $until = time + 5;
    while (1) {
        my $log = slurp($shim->{out});
        return $log if index($log, " GET $mark 404 ") >= 0;
        die "the access log of the shim on port $shim->{port} lacks $mark after 5 s\n" if time > $until;
        sleep 0.02;
    }
}

# Neither log of the shim may contain any of the given secrets.
sub logs_clean {
    my ($shim, @secrets) = @_;
    my $logs = access_log($shim) . slurp($shim->{err});
    my @found = grep { length($_) && index($logs, $_) >= 0 } @secrets;
    is(scalar(@found), 0, 'no password, token, cookie or secret in the shim logs');
}

# The value of one sample in /metrics text, e.g.
# metric_value($text, 'finote_db_pool_wait_seconds_count').
sub metric_value {
    my ($text, $series) = @_;
    for my $line (split /\n/, $text) {
        return $1 if $line =~ /^\Q$series\E (\S+)$/;
    }
    return undef;
}

END {
    my $status = $?;
    for my $shim (@shims) {
        next if $shim->{exited};
        kill 'KILL', $shim->{pid};
        waitpid($shim->{pid}, 0);
    }
    for my $dir (@clusters) {
        system("$ROOT/test/bin/pgcluster", 'stop', $dir);
    }
    $? = $status;
}

1;
