# docker/deploy.sh, the rollout of .github/workflows/deploy.yml, against a
# stand-in `docker` that records its calls: images pulled, the database up,
# migrate BEFORE the shim is replaced, and a failed migration stops the
# rollout with the running shim untouched. Nothing ever removes the volume.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp $ROOT);
use File::Path qw(make_path remove_tree);
use Test::More;

my $root = $ROOT;
my $work = "$root/.finote/t302";
remove_tree($work);
make_path("$work/bin");

sub put {
    my ($path, $text, $mode) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod $mode, $path if $mode;
}

# The stand-in: logs "FINOTE_TAG=<tag> <args>" per call; STUB_MIGRATE_RC and
# STUB_SHIM_HEALTH steer the interesting answers.
put("$work/bin/docker", <<'SH', 0755);
#!/usr/bin/env bash
echo "FINOTE_TAG=${FINOTE_TAG:-} $*" >> "$STUB_LOG"
args=" $* "
case "$args" in
  *" run --rm migrate "*) echo "migrate: stand-in"; exit "${STUB_MIGRATE_RC:-0}" ;;
  *" ps -q db "*) echo cid-db ;;
  *" ps -q shim "*) echo cid-shim ;;
  " inspect "*cid-db*) echo healthy ;;
  " inspect "*cid-shim*) echo "${STUB_SHIM_HEALTH:-healthy}" ;;
esac
exit 0
SH

# an env file as an operator leaves it: every change-me replaced
my $example = slurp("$root/docker/.env.example");
(my $env = $example) =~ s/change-me[\w-]*/s3cret-value-0123456789abcdef0123456789/g;
put("$work/.env", $env);
put("$work/unedited.env", $example);

sub deploy {
    my (%opt) = @_;
    my $log = "$work/calls.log";
    unlink $log;
    local $ENV{PATH} = "$work/bin:$ENV{PATH}";
    local $ENV{STUB_LOG} = $log;
    local $ENV{FINOTE_ENV_FILE} = $opt{env} // "$work/.env";
    local $ENV{STUB_MIGRATE_RC} = $opt{migrate_rc} // 0;
    local $ENV{STUB_SHIM_HEALTH} = $opt{shim_health} // 'healthy';
    local $ENV{FINOTE_DEPLOY_WAIT} = $opt{wait} // 10;
    delete local $ENV{FINOTE_TAG};
    my @args = defined $opt{tag} ? ($opt{tag}) : ();
    my $out = `'$root/docker/deploy.sh' @args 2>&1`;
    my $rc = $? >> 8;
    my @calls = map { s/ -f \S+compose\.yml --env-file \S+//r } split /\n/, slurp($log);
    return ($rc, $out, \@calls);
}
sub index_of {
    my ($calls, $re) = @_;
    for my $i (0 .. $#$calls) { return $i if $calls->[$i] =~ $re }
    return -1;
}
sub never_removes_data {
    my ($calls, $what) = @_;
    my @bad = grep { /\b(down|rm|volume)\b|\s-v\b|--volumes/ && !/run --rm migrate/ } @$calls;
    is("@bad", '', "$what: no down, rm or volume command");
}

# 1. a good rollout
my ($rc, $out, $calls) = deploy(tag => 'sha-0123456789ab');
is($rc, 0, 'deploy exits 0') or diag $out;
my $pull = index_of($calls, qr/compose pull db migrate shim$/);
my $db = index_of($calls, qr/compose up -d --no-deps db$/);
my $migrate = index_of($calls, qr/compose run --rm migrate$/);
my $shim = index_of($calls, qr/compose up -d --no-deps shim$/);
ok($pull >= 0, 'images are pulled');
ok($db > $pull, 'then the database is brought up (db only, --no-deps)');
ok($migrate > $db, 'then migrate runs');
ok($shim > $migrate, 'then, and only then, the shim is replaced (--no-deps)');
ok(index_of($calls, qr/inspect .*cid-shim/) > $shim, 'and its health (/readyz) is awaited');
is(scalar(grep { /^FINOTE_TAG=sha-0123456789ab / } @$calls), scalar(@$calls), 'every compose call sees the tag given');
like($out, qr/done/, 'it says done');
never_removes_data($calls, 'good rollout');

# 2. migrate fails: stop, shim untouched
($rc, $out, $calls) = deploy(migrate_rc => 3);
is($rc, 1, 'a failed migration fails the deploy');
ok(index_of($calls, qr/run --rm migrate/) >= 0, 'migrate was run');
is(index_of($calls, qr/compose (up|stop|restart|rm|kill|create)\b.*\bshim\b/), -1, 'the shim is never touched: the running version goes on serving');
like($out, qr/migration failed: rollout stopped/, 'it says the rollout stopped');
never_removes_data($calls, 'failed migration');

# 3. the new shim never gets ready
($rc, $out, $calls) = deploy(shim_health => 'unhealthy', wait => 2);
is($rc, 1, 'a shim that never gets ready fails the deploy');
ok(index_of($calls, qr/logs --tail 50 shim/) >= 0, "and the shim's log is shown");
like($out, qr{not ready \(/readyz\)}, 'it says why');

# 4. refusals before any docker call
($rc, $out, $calls) = deploy(env => "$work/unedited.env");
is($rc, 1, 'an env file with change-me values is refused');
is(scalar(@$calls), 0, 'before any docker command');
($rc, $out, $calls) = deploy(env => "$work/missing.env");
is($rc, 1, 'a missing env file is refused');
like($out, qr/missing/, 'it says so');

done_testing();
