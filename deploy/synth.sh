#!/usr/bin/env bash
# Synthesize every stack into deploy/cdk.out/ without the cdk CLI and without AWS access.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
# jsii prints a large banner on Node 20 (end of life for jsii); the synth is unaffected.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="${JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION:-1}"
export CDK_OUTDIR="${CDK_OUTDIR:-deploy/cdk.out}"
rm -rf "$CDK_OUTDIR"
"$PYTHON" deploy/app.py "$@"
ls "$CDK_OUTDIR"/*.template.json
