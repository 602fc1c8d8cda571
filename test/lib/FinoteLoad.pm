# FinoteLoad: a steady, bounded, mixed load on the API, from forked workers
# that record every answer they get; breaks of a test cluster under it
# (pg_ctl in the background, the moments the server was gone and back);
# and the account of the answers afterwards.
#
# Each worker is one user (a session made beforehand) doing, in turn:
# creates (a unique title each), updates with If-Match (the ETag of its
# last answer), reads (its last note, or the first page of its list) and,
# every LOGIN_EVERY requests, a login. A worker stops at the stop file, at
# its request count or at its time limit, whichever comes first; it never
# sends a request twice. Used by the tests of a database going away under
# the shim (test/t/17x_*.t); the target is anything that speaks the API
# (a shim, or nginx in front of shims). Core Perl only.
package FinoteLoad;

use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);
use File::Path qw(make_path remove_tree);
use FinoteTest qw(register_and_login slurp);
use Exporter 'import';

our @EXPORT = qw(load_users load_start load_stop load_account load_report readyz_probe_start readyz_probe_stop
  postmaster_pid pg_ctl_break postmaster_ready);

use constant LOGIN_EVERY => 16;

my $JSON = JSON::PP->new->utf8->canonical;

# One request; returns the record of it.
sub call {
    my ($http, $url, $kind, $method, $path, $body, %headers) = @_;
    my %opt = (headers => {%headers});
    if ($body) {
        $opt{content} = $JSON->encode($body);
        $opt{headers}{'Content-Type'} = 'application/json';
    }
    my $start = time;
    my $r = $http->request($method, "$url$path", \%opt);
    my $json = eval { $JSON->decode($r->{content}) } if length($r->{content} // '');
    return { kind => $kind, method => $method, path => $path, start => $start, end => time,
        status => $r->{status}, retry_after => $r->{headers}{'retry-after'},
        etag => $r->{headers}{etag}, json => $json, code => ref $json ? $json->{error}{code} : undef,
        message => ref $json ? $json->{error}{message} : undef };
}

sub worker {
    my ($url, $user, $n, $tag, $requests, $until, $stop, $out) = @_;
    my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
    my @auth = (Cookie => $user->{cookie});
    my ($note, $version, $stale);
    open my $fh, '>', $out or die "$out: $!";
    for my $i (1 .. $requests) {
        last if -e $stop || time > $until;
        my $rec;
        if ($i % LOGIN_EVERY == 0) {
            $rec = call($http, $url, 'login', 'POST', '/api/auth/login',
                { username => $user->{username}, password => $user->{password} });
        }
        elsif ($i % 3 == 1 || !$note) {
            my $title = "$tag-w$n-$i";
            $rec = call($http, $url, 'create', 'POST', '/api/notes', { title => $title, content => "c$i" }, @auth);
            $rec->{title} = $title;
            ($note, $version, $stale) = ($rec->{json}{note}{id}, $rec->{etag}, 0) if $rec->{status} == 201;
        }
        elsif ($i % 3 == 2 && !$stale) {
            $rec = call($http, $url, 'update', 'PATCH', "/api/notes/$note", { content => "u$i" }, @auth,
                'If-Match' => $version);
            $version = $rec->{etag} if $rec->{status} == 200;
            # a change in doubt: read the note's version before changing it again
            $stale = $rec->{status} != 200;
        }
        else {
            my $one = $stale || $i % 2;
            $rec = call($http, $url, 'read', 'GET', $one ? "/api/notes/$note" : '/api/notes?limit=5', undef, @auth);
            ($version, $stale) = ($rec->{etag}, 0) if $one && $rec->{status} == 200;
        }
        print $fh join("\t", map { $_ // '' } @$rec{qw(kind method path start end status retry_after code message title)}), "\n";
        sleep 0.01;
    }
    close $fh;
}

# $n users named $prefix1 .. $prefix$n, registered and logged in through
# $shim: the list load_start takes.
sub load_users {
    my ($shim, $prefix, $n) = @_;
    my @users;
    for my $i (1 .. $n) {
        my (undef, $cookie) = register_and_login($shim, "$prefix$i", "$prefix$i password");
        push @users, { username => "$prefix$i", password => "$prefix$i password", cookie => $cookie };
    }
    return \@users;
}

# Start one worker per user ({username, password, cookie}) against $url,
# recording into the directory dir (emptied first). Returns the handle for
# load_stop.
sub load_start {
    my ($url, $users, %opt) = @_;
    my $dir = $opt{dir} or die 'load_start: dir';
    remove_tree($dir);
    make_path($dir);
    my $load = { dir => $dir, stop => "$dir/stop", pids => [], outs => [] };
    unlink $load->{stop};
    my $until = time + ($opt{seconds} // 60);
    for my $n (0 .. $#$users) {
        my $out = "$dir/worker$n.tsv";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            worker($url, $users->[$n], $n, $opt{tag} // 'load', $opt{requests} // 5000, $until, $load->{stop}, $out);
            POSIX::_exit(0);    # not exit: the test's END would stop its clusters
        }
        push @{ $load->{pids} }, $pid;
        push @{ $load->{outs} }, $out;
    }
    return $load;
}

# Stop the workers (each ends its request in progress) and return every record.
sub load_stop {
    my ($load) = @_;
    open my $fh, '>', $load->{stop} or die;
    close $fh;
    waitpid($_, 0) for @{ $load->{pids} };
    my @records;
    for my $out (@{ $load->{outs} }) {
        open my $in, '<', $out or next;
        while (my $line = <$in>) {
            chomp $line;
            my %r;
            @r{qw(kind method path start end status retry_after code message title)} = split /\t/, $line, -1;
            push @records, \%r;
        }
    }
    return [sort { $a->{start} <=> $b->{start} } @records];
}

# /readyz of $shim every 50 ms from a process of its own, into $file.
# Returns the handle for readyz_probe_stop.
sub readyz_probe_start {
    my ($shim, $file) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $http = HTTP::Tiny->new(timeout => 30);
        open my $fh, '>', $file or die "$file: $!";
        $fh->autoflush(1);
        for (1 .. 2000) {
            my $t0 = time;
            my $r = $http->get("$shim->{url}/readyz");
            print $fh join("\t", $t0, time, $r->{status}), "\n";
            sleep 0.05;
        }
        POSIX::_exit(0);
    }
    return { pid => $pid, file => $file };
}

# Stop the prober; returns its probes, each [start, end, status].
sub readyz_probe_stop {
    my ($probe) = @_;
    kill 'TERM', $probe->{pid};
    waitpid($probe->{pid}, 0);
    return [map { [split /\t/] } split /\n/, slurp($probe->{file})];
}

# The account of a load around breaks of the database: each break is
# [from, to], from just before the database was told to go, to the moment it
# was gone. A change (create, update, login) that started before a break
# ended and ended after it began was in flight at the break: it may answer
# 503 with Retry-After (it may or may not have been done). A login the
# attempt budget refused (429 with Retry-After: a reservation a cut-off
# login kept, or no worker slot free to count it, attempts.c) is the
# budget's answer, not a failure: it is listed apart. Anything else that is
# not 2xx failed. Returns {failed, in_doubt, refused => [records],
# longest => record, count => n, by_kind => {kind => {status => n}}}.
sub load_account {
    my ($records, @breaks) = @_;
    my %account = (failed => [], in_doubt => [], refused => [], count => scalar @$records, by_kind => {});
    for my $r (@$records) {
        $account{by_kind}{ $r->{kind} }{ $r->{status} }++;
        $account{longest} = $r if !$account{longest}
          || $r->{end} - $r->{start} > $account{longest}{end} - $account{longest}{start};
        next if $r->{status} =~ /^2/;
        my $in_flight = grep { $r->{start} < $_->[1] && $r->{end} > $_->[0] } @breaks;
        if ($r->{kind} eq 'login' && $r->{status} == 429 && $r->{retry_after}) {
            push @{ $account{refused} }, $r;
        }
        elsif ($r->{kind} ne 'read' && $in_flight && $r->{status} == 503 && $r->{retry_after}) {
            push @{ $account{in_doubt} }, $r;
        }
        else {
            push @{ $account{failed} }, $r;
        }
    }
    return \%account;
}

# Print the account (load_account): the answers by kind, the failed
# requests, the changes in doubt and the longest request; times from $t0.
sub load_report {
    my ($account, $t0) = @_;
    my %by = %{ $account->{by_kind} };
    Test::More::diag(sprintf('%d requests: %s', $account->{count}, join('; ',
        map { my $k = $_; "$k " . join(' ', map { "$_=$by{$k}{$_}" } sort keys %{ $by{$k} }) } sort keys %by)));
    Test::More::diag(sprintf('failed: %d; changes in flight at a break answered 503 with Retry-After: %d; logins the budget refused: %d',
        scalar @{ $account->{failed} }, scalar @{ $account->{in_doubt} }, scalar @{ $account->{refused} }));
    for my $kind (qw(failed in_doubt refused)) {
        my @list = @{ $account->{$kind} };
        Test::More::diag(sprintf('  %s: %s %s %s %s at %+.2f s, took %.2f s', $kind,
            (map { $_ // '' } @$_{qw(method path status message)}), $_->{start} - $t0, $_->{end} - $_->{start}))
          for @list[0 .. ($#list < 19 ? $#list : 19)];
        Test::More::diag(sprintf('  %s: %d more', $kind, @list - 20)) if @list > 20;
    }
    my $l = $account->{longest} or return;
    Test::More::diag(sprintf('longest: %s %s %s, %.2f s, at %+.2f s', @$l{qw(method path status)},
        $l->{end} - $l->{start}, $l->{start} - $t0));
}

# The pid of the postmaster of the cluster in $dir (0 when there is none)
# and its status line ("ready", "starting", ...).
sub postmaster_pid {
    my ($dir) = @_;
    open my $fh, '<', "$dir/data/postmaster.pid" or return (0, '');
    my @lines = <$fh>;
    chomp @lines;
    return ($lines[0] // 0, $lines[7] // '');
}

# pg_ctl @args on the cluster in $dir, in the background (as postgres when
# we are root). Returns its pid, to wait for, and [from, to]: from just
# before, to the moment the postmaster running then was gone, its lock file
# removed (a zombie may stay in the process table), with every connection.
sub pg_ctl_break {
    my ($dir, @args) = @_;
    my $pg_ctl = `pg_config --bindir`;
    chomp $pg_ctl;
    my ($old) = postmaster_pid($dir);
    my $from = time;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        my @cmd = ("$pg_ctl/pg_ctl", '-D', "$dir/data", @args);
        @cmd = ('runuser', '-u', 'postgres', '--', @cmd) if $> == 0;
        exec @cmd or POSIX::_exit(127);
    }
    for (1 .. 6000) {
        last if (postmaster_pid($dir))[0] != $old;
        sleep 0.005;
    }
    return ($pid, [$from, time]);
}

# The moment a postmaster other than $old says it is ready (at most 60 s).
sub postmaster_ready {
    my ($dir, $old) = @_;
    for (1 .. 6000) {
        my ($pid, $status) = postmaster_pid($dir);
        return time if $pid && $pid != $old && $status =~ /^ready/;
        sleep 0.01;
    }
    return undef;
}

1;
