# Deployment files, checked without a Docker engine: docker/compose.yml parses
# (docker-compose config) and says what the runbook relies on; every variable
# is documented in docker/.env.example, including all of the deployment's variables; the
# Dockerfiles use only files that exist, run only repository scripts and
# build with the classic builder (no BuildKit syntax; the root .dockerignore
# keeps .git and .finote out of the context); the scripts avoid the bugs
# that once kept them from running (pipefail with grep -q, a hard-coded
# compose command or port, JSON matched without the space the shim writes);
# the workflows parse and keep their promises (migrate before the shim,
# images pushed from main only). Core Perl; python3-yaml reads YAML.
# test/docker/scenarios (make test-docker) runs all of it on a real engine.
use strict;
use warnings;
use File::Glob qw(:bsd_glob);    # glob() keeps paths with spaces whole
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp $ROOT);
use JSON::PP;
use Test::More;

my $root = $ROOT;
my $docker = "$root/docker";


# A program's path, or '' when it is not installed.
sub which_bin {
    my ($name) = @_;
    for my $dir (split /:/, $ENV{PATH} // '') {
        return "$dir/$name" if -x "$dir/$name";
    }
    return '';
}

# YAML text (or a command's YAML output) as a Perl structure, via python3-yaml.
sub yaml_to_perl {
    my ($yaml) = @_;
    my $tmp = "/tmp/finote-yaml.$$";
    open my $fh, '>', $tmp or die;
    print $fh $yaml;
    close $fh;
    my $json = `python3 -c 'import json,sys,yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)' $tmp 2>&1`;
    unlink $tmp;
    return undef if $?;
    return JSON::PP->new->decode($json);
}

# --- .env.example: NAME=value lines, each right under a comment ------------
my $env_text = slurp("$docker/.env.example");
my (%env, %documented);
{
    my $prev_comment = 0;
    for my $line (split /\n/, $env_text) {
        if ($line =~ /^#\s*\S/) { $prev_comment = 1; next }
        if ($line =~ /^([A-Z][A-Z0-9_]*)=(.*)$/) {
            $env{$1} = $2;
            $documented{$1} = 1 if $prev_comment;
            # a group of NAME= lines under one comment counts as documented
            next;
        }
        $prev_comment = 0;
    }
}
ok(scalar(keys %env) > 10, '.env.example defines the settings (' . scalar(keys %env) . ')');
my @undocumented = grep { !$documented{$_} } sort keys %env;
is("@undocumented", '', 'every variable in .env.example has a comment above it');

# The deployment's variables, as shim/README.md's Configuration names them.
my ($para) = slurp("$root/shim/README.md") =~ /^Configuration, by the same environment variables(.*?)\n\n/ms;
my %seen;
my @contract = grep { !$seen{$_}++ } ($para // '') =~ /`([A-Z][A-Z0-9_]+)`/g;
ok(@contract >= 7, "the deployment's variables read from shim/README.md: @contract");
for my $v (@contract, qw(POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD)) {
    ok(exists $env{$v} && $documented{$v}, "$v is set and documented in .env.example");
}

# .env.example's DATABASE_URL is the role and password that migrate creates
# at db's Unix socket, in the directory that compose shares with the shim
my ($url_user, $url_pw, $url_db) = ($env{DATABASE_URL} // '') =~ m{^postgresql://([^:@/]+):([^@/]*)\@/([^?/]+)\?host=/var/run/postgresql$};
is($url_user, $env{FINOTE_APP_ROLE}, 'DATABASE_URL logs in as FINOTE_APP_ROLE');
is($url_pw, $env{FINOTE_APP_PASSWORD}, 'DATABASE_URL carries FINOTE_APP_PASSWORD');
is($url_db, $env{POSTGRES_DB}, 'DATABASE_URL names POSTGRES_DB on the db service');
ok(length($env{SESSION_SECRET} // '') >= 32, 'the example SESSION_SECRET is long enough for production');

# --- compose.yml: every ${VAR} documented, every documented VAR used --------
my $compose_text = slurp("$docker/compose.yml");
(my $compose_code = $compose_text) =~ s/^\s*#.*$//mg;
my %used = map { $_ => 1 } $compose_code =~ /\$\{([A-Z][A-Z0-9_]*)/g;
my @missing = grep { !exists $env{$_} } sort keys %used;
is("@missing", '', 'every variable compose.yml uses is in .env.example');
my @unused = grep { !$used{$_} && $_ ne 'COMPOSE_PROJECT_NAME' } sort keys %env;
is("@unused", '', 'every variable of .env.example is used by compose.yml');

# --- docker-compose config: parses, and the resolved file says the right things
my $dc = which_bin('docker-compose');
ok($dc, 'docker-compose is installed (Debian package docker-compose)');
SKIP: {
    skip 'no docker-compose', 36 unless $dc;
    my $out = `cd '$root' && '$dc' -f docker/compose.yml --env-file docker/.env.example config 2>&1`;
    is($?, 0, 'docker-compose config parses docker/compose.yml with .env.example') or diag $out;
    my $cfg = yaml_to_perl($out) // {};
    my $s = $cfg->{services} // {};
    is_deeply([sort keys %$s], [qw(backup db migrate proxy shim)], 'services: backup, db, migrate, proxy, shim');

    my $db = $s->{db} // {};
    like($db->{image} // '', qr{/finote-db:}, 'db runs the finote-db image');
    is($db->{build}{dockerfile}, 'docker/db.Dockerfile', 'db builds from docker/db.Dockerfile');
    ok((grep { m{^pgdata:/var/lib/postgresql/data} } @{ $db->{volumes} // [] }), 'db keeps its data in the volume pgdata');
    like(join(' ', @{ $db->{healthcheck}{test} // [] }), qr/pg_isready/, 'db healthcheck is pg_isready');
    is($cfg->{volumes}{pgdata}{name}, 'finote_pgdata', 'the volume is named by FINOTE_VOLUME (finote_pgdata)');
    ok(!$cfg->{volumes}{pgdata}{external}, 'the volume is created by compose on first start');
    ok((grep { m{^pgrun:/var/run/postgresql(:rw)?$} } @{ $db->{volumes} // [] }), "db's socket directory is the volume pgrun");
    ok(!$cfg->{volumes}{pgrun}{name}, 'pgrun is the project\'s own: two stacks never share a socket');

    # pgBackRest: the repository on a volume of its own, the passphrase a secret
    ok((grep { m{^pgbackrest:/var/lib/pgbackrest(:rw)?$} } @{ $db->{volumes} // [] }), 'db archives WAL into the volume pgbackrest');
    is($cfg->{volumes}{pgbackrest}{name}, 'finote_pgbackrest', 'the repository volume is named by FINOTE_BACKUP_VOLUME (finote_pgbackrest)');
    like(join(' ', map { ref $_ ? $_->{source} : $_ } @{ $db->{secrets} // [] }), qr/^finote_backup_pass$/, 'db gets the passphrase as a secret');
    ok(!grep({ /PASS/ && !/POSTGRES_PASSWORD/ } keys %{ $db->{environment} // {} }), 'and in no environment variable');
    my $bk = $s->{backup} // {};
    is($bk->{image}, $db->{image}, 'backup uses the db image');
    is_deeply($bk->{entrypoint}, ['finote-backup'], 'backup runs finote-backup (docker/backup.sh)');
    ok((grep { m{^pgdata:/var/lib/postgresql/data:ro$} } @{ $bk->{volumes} // [] }), 'backup reads the data volume, read-only');
    ok(!(grep { m{/var/lib/postgresql/restore} } @{ $bk->{volumes} // [] }), 'and mounts nothing to restore into: a restore names its volume');
    is($bk->{network_mode}, 'none', 'backup has no network: the socket is its way to db');
    like($cfg->{secrets}{finote_backup_pass}{file} // '', qr{/secrets/backup-pass$}, 'the passphrase is the file FINOTE_BACKUP_PASS_FILE');

    my $m = $s->{migrate} // {};
    is($m->{image}, $db->{image}, 'migrate uses the db image');
    is_deeply($m->{entrypoint}, ['finote-migrate'], 'migrate runs finote-migrate (docker/migrate.sh)');
    is($m->{depends_on}{db}{condition}, 'service_healthy', 'migrate waits for a healthy db');
    is($m->{restart}, 'no', 'migrate is one-shot');
    ok(!$m->{volumes}, 'migrate mounts no volume');

    my $sh = $s->{shim} // {};
    is($sh->{depends_on}{migrate}{condition}, 'service_completed_successfully',
        'shim starts only after migrate completed successfully');
    like(join(' ', @{ $sh->{healthcheck}{test} // [] }), qr{finote-healthcheck /readyz}, 'shim readiness is /readyz');
    is($sh->{stop_signal}, 'SIGTERM', 'shim stops with SIGTERM');
    is_deeply($sh->{volumes}, ['pgrun:/var/run/postgresql:ro'], "shim mounts db's socket directory only, read-only");
    ok($sh->{read_only} && "@{ $sh->{cap_drop} // [] }" eq 'ALL', 'shim stays read_only with cap_drop ALL');
    my @shim_env = sort keys %{ $sh->{environment} // {} };
    is_deeply(\@shim_env, [sort @contract, 'FINOTE_TRUSTED_PROXIES', 'FINOTE_LISTEN_ADDR'],
        'shim gets exactly the deployment variables, FINOTE_TRUSTED_PROXIES and FINOTE_LISTEN_ADDR');
    is($sh->{environment}{FINOTE_LISTEN_ADDR}, '0.0.0.0',
        'the shim listens on all its addresses (its default is 127.0.0.1): the proxy reaches it over back');
    is($sh->{environment}{NODE_ENV}, 'production', 'NODE_ENV is production in the example');
    ok(!$sh->{ports}, 'the shim publishes no port: only the proxy reaches it');
    is_deeply([sort keys %{ $sh->{networks} // {} }], ['back'], 'the shim is on the internal network only');

    # the proxy: the one published port, X-Forwarded-For trusted from it alone
    my @published = grep { $s->{$_}{ports} } sort keys %$s;
    is("@published", 'proxy', 'the proxy is the only service with a published port');
    my $px = $s->{proxy} // {};
    is($px->{build}{dockerfile}, 'docker/proxy.Dockerfile', 'proxy builds from docker/proxy.Dockerfile');
    my $port = $px->{ports}[0] // '';
    $port = join ':', grep { defined } @$port{qw(host_ip published target)} if ref $port;
    like($port, qr{^127\.0\.0\.1:3000:8080(?:/tcp)?$}, 'proxy is published on 127.0.0.1:3000 by default');
    my $proxy_ip = $px->{networks}{back}{ipv4_address} // '';
    like($proxy_ip, qr/^10\.213\.87\.2$/, 'proxy has a fixed address on the internal network');
    is($sh->{environment}{FINOTE_TRUSTED_PROXIES}, $proxy_ip, 'the shim trusts X-Forwarded-For from that address only');
    is($px->{depends_on}{shim}{condition}, 'service_healthy', 'proxy starts once the shim is ready');
    is($px->{environment}{FINOTE_RESOLVER}, '127.0.0.11', "proxy resolves shim names with Docker's DNS (replaced shims are found)");
    ok($px->{read_only}, 'proxy container is read-only');
    ok($cfg->{networks}{back}{internal}, 'the network of db and shim is internal (no way out)');
    my ($range) = map { $_->{ip_range} } @{ $cfg->{networks}{back}{ipam}{config} // [] };
    is($range, '10.213.87.128/25', "containers' own addresses never take the proxy's .2");
}

# --- compose never removes the volume; one script does, behind its flags ---
unlike($compose_text, qr/external:\s*true/, 'the volume is not external');
my $readme = slurp("$docker/README.md");
my @rm = $readme =~ /^((?:docker volume rm|docker(?: |-)compose down\s+(?:-v|--volumes)).*)$/mg;
is(scalar(@rm), 0, 'the runbook never removes the volume by hand') or diag "@rm";
my @removers = grep { slurp($_) =~ /^[^#]*volume rm/m } glob("$docker/*.sh");
is("@removers", "$docker/reset.sh", 'docker/reset.sh is the one script that removes a volume');
my ($reset) = $readme =~ /## 5\. Total reset.*?\n(.*?)\n## /s;
like($reset // '', qr/Warning.*DELETE|deleted/si, 'the total reset has a warning');
like($reset // '', qr{^\./reset\.sh --destroy-all-data}m, 'and is ./reset.sh, with its production flag');
for my $topic ('First deploy', 'Redeploy', 'Backup', 'restore', 'Total reset') {
    like($readme, qr/^## .*\Q$topic\E/mi, "runbook section: $topic");
}
like($readme, qr/date \+%Y%m%d/, 'backups are date-stamped');
# compose v1 names containers finote_shim_1, v2 finote-shim-1: the runbook
# names neither (docker compose ps -q shim finds it in both)
unlike($readme, qr/\bfinote[-_](?:db|shim|proxy|migrate)[-_]1\b/, 'the runbook names no container by its compose-made name');
# no finote version but the current one in the runbook's examples
my ($current) = slurp("$root/extension/finote.control") =~ /^default_version = '([^']+)'/m;
my @stale = grep { $_ ne $current } $readme =~ /\bfinote (\d+\.\d+(?:\.\d+)?)\b/g;
is("@stale", '', "docker/README.md names no finote version but the current $current");

# --- Dockerfiles ------------------------------------------------------------
my %stages;
for my $name (qw(db shim)) {
    my $file = "$docker/$name.Dockerfile";
    my $text = slurp($file);
    $text =~ s/\\\n/ /g;    # join continuation lines
    my @lines = grep { /\S/ && !/^\s*#/ } split /\n/, $text;
    my @from = grep { /^FROM\s/i } @lines;
    ok(@from >= 2, "$name.Dockerfile is multi-stage (" . scalar(@from) . ' stages)');
    $stages{$name} = \@lines;

    for my $l (grep { /^(COPY|ADD)\s/i } @lines) {
        my @words = split ' ', $l;
        shift @words;
        next if grep { /^--from=/ } @words;
        @words = grep { !/^--/ } @words;
        pop @words;    # the destination
        for my $src (@words) {
            ok(-e "$root/$src", "$name.Dockerfile: $src exists") or diag $l;
        }
    }
    for my $l (grep { /^RUN\s/i } @lines) {
        my @mounts = $l =~ /--mount=(\S+)/g;
        for my $m (@mounts) {
            my ($src) = $m =~ /source=([^,]+)/;
            ok(-e "$root/$src", "$name.Dockerfile: mounted $src exists") if $src;
        }
        (my $cmd = $l) =~ s/^RUN\s+(--mount=\S+\s+)*//i;
        # every command of a RUN is one of the repository's docker/ scripts
        for my $part (split /\s*&&\s*/, $cmd) {
            $part =~ s/^(?:[A-Z_]+=\S*\s+)*//;    # VAR=value prefixes
            my ($prog) = split ' ', $part;
            my ($script) = $prog =~ m{(?:^|/)(docker/[\w.-]+\.sh|[\w.-]+\.sh)$};
            ok($script, "$name.Dockerfile: RUN calls a repository script ($prog)");
            my $base = ($prog =~ m{([\w.-]+\.sh)$})[0] // '';
            my @found = grep { -x } ("$docker/$base", glob("$docker/*/$base"));
            ok(@found, "  $base exists in docker/ and is executable") if $base;
        }
    }
}
my @db = @{ $stages{db} };
ok((grep { /^ARG DEBIAN_IMAGE=debian:trixie-slim$/ } @db), 'db image is built FROM Debian trixie (what is tested ships)');
ok((grep { /^ARG PG_MAJOR=17$/ } @db), "with Debian's PostgreSQL 17");
ok((grep { /build-extension\.sh/ } @db), 'db build stage runs docker/build-extension.sh');
ok((grep { /^COPY --from=build \/out\/ \/$/ } @db), 'db final stage copies only the installed files');
ok((grep { /^ENTRYPOINT \["docker-entrypoint\.sh"\]$/ } @db) && (grep { /^CMD \["postgres"\]$/ } @db),
    "db has the official image's entrypoint and command");
ok((grep { /^ENV .*PGDATA=\/var\/lib\/postgresql\/data/ } @db), 'and its PGDATA');
ok((grep { /^STOPSIGNAL SIGINT$/ } @db), 'SIGINT (fast shutdown) stops the server');
# a VOLUME would give every one-shot container of the image (migrate) an
# anonymous volume that nothing removes
ok(!(grep { /^VOLUME/ } @db), 'db declares no VOLUME (migrate leaves no anonymous volume)');
my @shim = @{ $stages{shim} };
my @last = @shim[(grep { $shim[$_] =~ /^FROM/ } 0 .. $#shim)[-1] .. $#shim];
ok((grep { /^USER\s+(?!root|0\b)\S+/ } @last), 'shim runtime stage runs as a non-root user');
ok((grep { /^HEALTHCHECK .*finote-healthcheck.*\/healthz/ } @last), 'shim HEALTHCHECK probes /healthz');
ok((grep { /^STOPSIGNAL SIGTERM/ } @last), 'shim STOPSIGNAL SIGTERM');
ok((grep { /^COPY --from=build \/out\/ \/$/ } @last), 'shim runtime stage copies only the build output');
ok(!(grep { /^COPY (?!--from)/ } @last), 'shim runtime stage copies nothing from the context');

# --- the classic builder (docker-compose 1.29, no buildx) builds every image --
for my $file (glob("$docker/*.Dockerfile")) {
    my $text = slurp($file);
    (my $name = $file) =~ s{.*/}{};
    unlike($text, qr/^#\s*syntax\s*=/mi, "$name: no # syntax= line (it fetches a frontend image)");
    unlike($text, qr/--mount=|--link\b|--network=|--security=|--chmod=|<<[-~]?["']?[A-Z]/,
        "$name: no BuildKit-only syntax (RUN --mount, COPY --link, heredocs)");
}
my @per_file = glob("$docker/*.dockerignore");
is("@per_file", '', 'no per-Dockerfile .dockerignore (the classic builder ignores them)');
my $ign = -f "$root/.dockerignore" ? slurp("$root/.dockerignore") : '';
my @ign = grep { /\S/ && !/^#/ } split /\n/, $ign;
ok((grep { $_ eq '*' } @ign) || ((grep { $_ eq '.git' } @ign) && (grep { $_ eq '.finote' } @ign)),
    'the root .dockerignore keeps .git and .finote out of the build context');
ok((grep { $_ eq '**/*.o' } @ign), 'and build products');
# every top-level entry a Dockerfile COPYs from the context is let back in
my %copied;
for my $file (glob("$docker/*.Dockerfile")) {
    for my $line (grep { /^COPY\s/ && !/--from=/ } split /\n/, slurp($file)) {
        my @words = grep { !/^--/ } split ' ', $line;
        shift @words;    # COPY
        pop @words;      # the destination
        $copied{ (split m{/}, $_)[0] } = 1 for @words;
    }
}
ok(%copied >= 5, 'the Dockerfiles copy from the context: ' . join(' ', sort keys %copied));
for my $kept (sort keys %copied) {
    ok(!(grep { $_ eq '*' } @ign) || (grep { $_ eq "!$kept" } @ign), "  but not $kept, which the Dockerfiles copy");
}

# --- package lists name packages Debian has ---------------------------------
SKIP: {
    my $lists = `ls /var/lib/apt/lists/ 2>/dev/null | grep -c _Packages`;
    skip 'apt has no package lists (apt-get update)', 1 unless $lists > 0;
    # PG_MAJOR of this host: bookworm's postgresql-server-dev-15 stands in for the image's 16
    my $out = `'$docker/apt-install.sh' --check '$docker'/packages/*.txt 2>&1`;
    is($?, 0, 'every package in docker/packages/*.txt is known to apt') or diag $out;
}

# --- workflows ----------------------------------------------------------------
my $ci_text = slurp("$root/.github/workflows/ci.yml");
my $ci = yaml_to_perl($ci_text);
ok($ci, 'ci.yml parses');
my $on = $ci->{on} // $ci->{true} // {};    # YAML 1.1 reads "on" as true
ok(exists $on->{push} && exists $on->{pull_request}, 'ci runs on push and pull_request');
like($ci_text, qr{test/bin/deps}, 'ci installs the declared Debian packages with test/bin/deps');
like($ci_text, qr{make lint}, 'ci runs make lint');
like($ci_text, qr{make test|\.ci/run}, 'ci runs the test suite');
like($ci_text, qr{docker(/build-push-action| build) .*?db\.Dockerfile}s, 'ci builds the db image');
like($ci_text, qr{shim\.Dockerfile}, 'ci builds the shim image');
like($ci_text, qr{if: .*refs/heads/main}, 'images are pushed from main only');
like($ci_text, qr{ghcr\.io}, 'images go to ghcr.io');

my $dep_text = slurp("$root/.github/workflows/deploy.yml");
my $dep = yaml_to_perl($dep_text);
ok($dep, 'deploy.yml parses');
my $don = $dep->{on} // $dep->{true} // {};
ok(exists $don->{workflow_dispatch}, 'deploy can be started by hand');
ok(exists $don->{workflow_run}, 'deploy follows a CI run');
like($dep_text, qr{conclusion == 'success'}, 'deploy only after a successful CI');
like($dep_text, qr{docker/deploy\.sh}, 'deploy runs docker/deploy.sh (tested in 302_deploy.t)');
my $deploy_sh = slurp("$docker/deploy.sh");
my $i_migrate = index($deploy_sh, 'compose run --rm migrate');
my $i_shim = index($deploy_sh, 'compose up -d --no-deps --no-recreate --scale shim=');
ok($i_migrate > 0 && $i_shim > $i_migrate, 'deploy.sh migrates before it replaces the shim');

# --- the bugs that kept the scripts from ever running ---------------------
my @scripts = (glob("$docker/*.sh"), glob("$docker/*/*.sh"), glob("$root/test/docker/*"), glob("$root/test/bin/*"));
# the suites' own scripts too: a SIGPIPE there failed test-deb once
my @suites = grep { -f && !/\.(?:txt|py|md|pm|yml)$/ } map { glob("$root/test/$_/*") } qw(deb ha backup matrix);
for my $f (@scripts, @suites) {
    my $text = slurp($f);
    (my $name = $f) =~ s{^\Q$root\E/}{};
    my @code = grep { !/^\s*#/ } split /\n/, $text;
    # under pipefail, grep -q quits at the first match and the writer dies of SIGPIPE
    if ($text =~ /pipefail/) {
        my @bad = grep { /\|\s*grep\s+(-\w*q|--quiet)/ } @code;
        is("@bad", '', "$name: no `| grep -q` under pipefail");
    }
    next if $name eq 'docker/lib.sh';
    next if $name =~ m{^test/(?:deb|ha|backup|matrix)/};
    # compose is docker/lib.sh's choice (v2 plugin or docker-compose v1)
    my @fixed = grep { /(?:^|[\s;(|&])docker[ -]compose\s/ && !/DOCKER_COMPOSE/ } @code;
    is("@fixed", '', "$name: no hard-coded compose command (finote_compose_cmd)");
}
my $smoke = slurp("$docker/smoke.sh");
unlike($smoke, qr/\b(?:127\.0\.0\.1|localhost):\d{2,5}\b/, 'smoke.sh publishes on no fixed port');
for my $f (@scripts) {
    # a pattern (sed, grep, [[ =~ ]]) for "name":"value"; request bodies may have it
    my @json = grep { !/^\s*#/ && /\bsed\b|\bgrep\b|=~/ } grep { /\\?"\w+\\?":\\?"/ } split /\n/, slurp($f);
    (my $name = $f) =~ s{^\Q$root\E/}{};
    is("@json", '', "$name: matches no JSON as \"name\":\"value\" (the shim writes \"name\": \"value\")");
}
# finote_json_str reads what the shim writes (jsonb's text: a space after the colon)
for my $json ('{"token": "t0k3n", "expires_at": "x"}', '{"token":"t0k3n"}') {
    my $got = `printf '%s' '$json' | bash -c '. "$docker/lib.sh"; finote_json_str token'`;
    chomp $got;
    is($got, 't0k3n', "finote_json_str token of $json");
}

done_testing();
