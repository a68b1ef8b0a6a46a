"""AWS CDK (Python) definition of the FinOps SaaS infrastructure.

`config` holds one dataclass per environment; `stack.FinOpsStack` composes the small
constructs in `network`, `data`, `edge`, `compute` and `alarms`; `bootstrap` holds the
one-time stack (GitHub OIDC deploy role, ECR repository).
"""
