#!/usr/bin/env bash
# Checks the reference model against a real ZooKeeper 3.8 (Debian's zookeeper + libjackson2 packages): exports
# generated scenarios with the model's expectations, then replays them on an in-process server.
# Usage: run.sh [scenarios=40] [tree|watch] [first seed=1]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${TMPDIR:-/tmp}/zkdiff-run
count=${1:-40}
mix=${2:-tree}
seed=${3:-1}
mkdir -p "$out"
dotnet build "$here/ZkDiff.csproj" --artifacts-path "$out/artifacts" -v q -nologo
# skip-mixed drops watch registrations that ZooKeeper 3.8 would merge into one mode (see Export.MixesWatchModes).
dotnet "$out/artifacts/bin/ZkDiff/debug/ZkDiff.dll" "$count" "$mix" "$seed" "$out/scenarios.jsonl" skip-mixed
cp=/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar
cp=$cp:/usr/share/java/jackson-databind.jar:/usr/share/java/jackson-core.jar:/usr/share/java/jackson-annotations.jar
javac -nowarn -cp "$cp" -d "$out/classes" "$here/Replay.java"
java -cp "$out/classes:$cp" Replay "$out/scenarios.jsonl" 2> >(grep -v SLF4J >&2)
