# docker/deploy.sh, the rollout of .github/workflows/deploy.yml, against a
# stand-in `docker` that records its calls: images pulled, the database up,
# migrate BEFORE the shim is replaced, the new shim started beside the old
# one and healthy before the old one is stopped, and a failed migration stops
# the rollout with the running shim untouched. Nothing ever removes the
# volume. The same script runs on a real engine in make test-docker
# (test/docker/scenarios).
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

# The stand-in: logs "FINOTE_TAG=<tag> <args>" per call; STUB_MIGRATE_RC,
# STUB_SHIM_HEALTH and STUB_PROXY_IMAGE steer the interesting answers. One
# shim (cid-shim-old) runs until `up --scale` adds cid-shim-new.
put("$work/bin/docker", <<'SH', 0755);
#!/usr/bin/env bash
echo "FINOTE_TAG=${FINOTE_TAG:-} $*" >> "$STUB_LOG"
args=" $* "
state=$STUB_LOG.scaled
case "$args" in
  " compose version ") exit 0 ;;
  *" run --rm migrate "*) echo "migrate: stand-in"; exit "${STUB_MIGRATE_RC:-0}" ;;
  *" up -d --no-deps --no-recreate --scale shim="*) touch "$state" ;;
  *" ps -q db "*) echo cid-db ;;
  *" ps -q shim "*) echo cid-shim-old; [ ! -e "$state" ] || echo cid-shim-new ;;
  *" ps -q proxy "*) echo cid-proxy ;;
  *" config "*) printf 'services:\n  proxy:\n    image: reg/finote-proxy:t\n  shim:\n    image: x\n' ;;
  " inspect --format {{.Image}} cid-proxy ") echo sha256:running ;;
  " image inspect "*) echo "${STUB_PROXY_IMAGE:-sha256:running}" ;;
  " inspect "*cid-db*) echo healthy ;;
  " inspect "*cid-shim-old*) echo healthy ;;
  " inspect "*cid-shim-new*) echo "${STUB_SHIM_HEALTH:-healthy}" ;;
esac
exit 0
SH

# an env file as an operator leaves it: every change-me value replaced, the
# comments copied from .env.example as they are (they say "change-me" too)
my $example = slurp("$root/docker/.env.example");
(my $env = $example) =~ s/^([A-Z_]+=.*?)change-me[\w-]*/${1}s3cret-value-0123456789abcdef0123456789/mg;
like($env, qr/^#.*change-me/m, 'the filled env file still has the comments that say change-me');
unlike($env, qr/^[A-Z_]+=.*change-me/m, 'and no change-me value');
put("$work/.env", $env);
put("$work/unedited.env", $example);
(my $one_left = $env) =~ s/^SESSION_SECRET=.*/SESSION_SECRET=change-me-later/m;
put("$work/one-left.env", $one_left);

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
    local $ENV{STUB_PROXY_IMAGE} = $opt{proxy_image} // 'sha256:running';
    local $ENV{DOCKER_COMPOSE} = 'docker compose';
    unlink "$log.scaled";
    delete local $ENV{FINOTE_TAG};
    my @args = defined $opt{tag} ? ($opt{tag}) : ();
    my $out = `'$root/docker/deploy.sh' @args 2>&1`;
    my $rc = $? >> 8;
    my @calls = map { s/ -f \Q$root\E\/docker\/compose\.yml --env-file \Q$ENV{FINOTE_ENV_FILE}\E//r } split /\n/, slurp($log);
    return ($rc, $out, \@calls);
}
sub index_of {
    my ($calls, $re) = @_;
    for my $i (0 .. $#$calls) { return $i if $calls->[$i] =~ $re }
    return -1;
}
sub never_removes_data {
    my ($calls, $what) = @_;
    my @bad = grep { /\b(down|rm|volume)\b|\s-v\b|--volumes/ && !/run --rm migrate$| rm cid-shim-old$/ } @$calls;
    is("@bad", '', "$what: no down or volume command; rm of the old shim container only");
}

# 1. a good rollout
my ($rc, $out, $calls) = deploy(tag => 'sha-0123456789ab');
is($rc, 0, 'deploy exits 0') or diag $out;
my $pull = index_of($calls, qr/compose pull db migrate shim proxy$/);
my $db = index_of($calls, qr/compose up -d --no-deps db$/);
my $migrate = index_of($calls, qr/compose run --rm migrate$/);
my $shim = index_of($calls, qr/compose up -d --no-deps --no-recreate --scale shim=2 shim$/);
my $healthy = index_of($calls, qr/inspect .*cid-shim-new/);
my $stop = index_of($calls, qr/ stop -t 30 cid-shim-old$/);
my $rm = index_of($calls, qr/ rm cid-shim-old$/);
ok($pull >= 0, 'images are pulled');
ok($db > $pull, 'then the database is brought up (db only, --no-deps)');
ok(index_of($calls, qr/compose up -d --no-deps backup$/) > $db, 'the backup service follows the database onto its image');
ok($migrate > $db, 'then migrate runs');
ok($shim > $migrate, 'then, and only then, a second shim is started beside the first (--no-deps, --no-recreate)');
ok($healthy > $shim, 'its health (/readyz) is awaited');
ok($stop > $healthy, 'then the old shim is stopped (SIGTERM, 30 s to finish)');
ok($rm > $stop, 'and removed');
is(index_of($calls, qr/inspect .*cid-shim-old/), -1, 'the old shim is not waited for');
is(index_of($calls, qr/up -d --no-deps proxy$/), -1, 'the proxy, whose image did not change, is left running');
is(scalar(grep { /^FINOTE_TAG=sha-0123456789ab / } @$calls), scalar(@$calls), 'every compose call sees the tag given');
like($out, qr/done/, 'it says done');
never_removes_data($calls, 'good rollout');

# 1b. a proxy image that changed is rolled out, after the shim
($rc, $out, $calls) = deploy(tag => 't', proxy_image => 'sha256:new');
is($rc, 0, 'deploy with a new proxy image exits 0') or diag $out;
ok(index_of($calls, qr/up -d --no-deps proxy$/) > index_of($calls, qr/ rm cid-shim-old$/), 'and recreates the proxy last');

# 1c. pulling can be left out (images built on the host)
{
    local $ENV{FINOTE_DEPLOY_PULL} = 0;
    ($rc, $out, $calls) = deploy(tag => 't');
}
is($rc, 0, 'FINOTE_DEPLOY_PULL=0 deploys') or diag $out;
is(index_of($calls, qr/ pull /), -1, 'without pulling');

# 2. migrate fails: stop, shim untouched
($rc, $out, $calls) = deploy(migrate_rc => 3);
is($rc, 1, 'a failed migration fails the deploy');
ok(index_of($calls, qr/run --rm migrate/) >= 0, 'migrate was run');
is(index_of($calls, qr/compose (up|stop|restart|rm|kill|create)\b.*\bshim\b| (stop|rm|kill)\b.*cid-shim/), -1, 'the shim is never touched: the running version goes on serving');
like($out, qr/migration failed: rollout stopped/, 'it says the rollout stopped');
never_removes_data($calls, 'failed migration');

# 3. the new shim never gets ready
($rc, $out, $calls) = deploy(shim_health => 'unhealthy', wait => 2);
is($rc, 1, 'a shim that never gets ready fails the deploy');
ok(index_of($calls, qr/logs --tail 50 cid-shim-new$/) >= 0, "and the new shim's log is shown");
ok(index_of($calls, qr/rm -f cid-shim-new$/) >= 0, 'the new shim is removed');
is(index_of($calls, qr/ (stop|rm)\b.*cid-shim-old/), -1, 'the old shim goes on serving');
like($out, qr{not ready \(/readyz\)}, 'it says why');

# 4. refusals before any docker call
($rc, $out, $calls) = deploy(env => "$work/unedited.env");
is($rc, 1, 'an env file with change-me values is refused');
is(scalar(@$calls), 0, 'before any docker command');
($rc, $out, $calls) = deploy(env => "$work/one-left.env");
is($rc, 1, 'one change-me value left is refused');
like($out, qr/change-me values: SESSION_SECRET/, 'and named');
($rc, $out, $calls) = deploy(env => "$work/missing.env");
is($rc, 1, 'a missing env file is refused');
like($out, qr/missing/, 'it says so');

done_testing();
