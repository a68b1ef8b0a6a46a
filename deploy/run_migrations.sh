#!/usr/bin/env bash
# Run the one-off `migrate` task of an environment with a given image tag, wait for it,
# and exit with its status. Used by .github/workflows/deploy.yml before `cdk deploy`,
# and by hand for a rollback (see deploy/README.md).
#
#   AWS_REGION=eu-west-1 bash deploy/run_migrations.sh staging 3f2c1ab
#
# Needs the AWS CLI v2 and jq, and credentials allowed what the bootstrap deploy role is.
set -euo pipefail

env_name="${1:?usage: run_migrations.sh <staging|production> <image-tag>}"
tag="${2:?usage: run_migrations.sh <staging|production> <image-tag>}"
timeout_s="${MIGRATE_TIMEOUT_SECONDS:-3600}"
stack="FinOps-${env_name^}"

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
cluster="$(output ClusterName)"
family="$(output MigrateTaskFamily)"
subnets="$(output MigrateSubnets)"
security_group="$(output MigrateSecurityGroup)"

# The stack's migrate task definition still names the previous image: register a copy of
# it with the new tag, so migrations run with the code about to be deployed.
current="$(aws ecs describe-task-definition --task-definition "$family" --query taskDefinition --output json)"
image="$(jq -r '.containerDefinitions[] | select(.name == "migrate") | .image' <<<"$current")"
new_definition="$(jq --arg image "${image%:*}:${tag}" '{
    family, taskRoleArn, executionRoleArn, networkMode, requiresCompatibilities, cpu, memory,
    runtimePlatform,
    containerDefinitions: (.containerDefinitions
      | map(if .name == "migrate" then .image = $image else . end))
  }' <<<"$current")"
task_definition="$(aws ecs register-task-definition --cli-input-json "$new_definition" \
  --query taskDefinition.taskDefinitionArn --output text)"
echo "migrate: running $task_definition on $cluster"

task="$(aws ecs run-task --cluster "$cluster" --task-definition "$task_definition" \
  --launch-type FARGATE --started-by deploy-migrate \
  --network-configuration "awsvpcConfiguration={subnets=[${subnets}],securityGroups=[${security_group}],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)"
if [[ -z "$task" || "$task" == "None" ]]; then
  echo "migrate: run-task started nothing" >&2
  exit 1
fi

# `aws ecs wait tasks-stopped` gives up after 10 minutes; migrating every tenant schema
# can take longer, so poll with our own limit.
deadline=$(( SECONDS + timeout_s ))
while :; do
  status="$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --query 'tasks[0].lastStatus' --output text)"
  [[ "$status" == "STOPPED" ]] && break
  if (( SECONDS > deadline )); then
    echo "migrate: still $status after ${timeout_s}s; stopping it" >&2
    aws ecs stop-task --cluster "$cluster" --task "$task" --reason "deploy timeout" >/dev/null || true
    exit 1
  fi
  sleep 15
done

exit_code="$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
  --query "tasks[0].containers[?name=='migrate'].exitCode | [0]" --output text)"
reason="$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --query 'tasks[0].stoppedReason' --output text)"

task_id="${task##*/}"
echo "migrate: last log lines"
aws logs get-log-events --log-group-name "/finops/${env_name}/migrate" \
  --log-stream-name "migrate/migrate/${task_id}" --limit 50 \
  --query 'events[].message' --output text 2>/dev/null | tr '\t' '\n' || true

if [[ "$exit_code" != "0" ]]; then
  # "None" means the container never ran (image pull, secrets, capacity): see the reason.
  echo "migrate: failed (exit code: $exit_code, reason: $reason)" >&2
  exit 1
fi
echo "migrate: done"
