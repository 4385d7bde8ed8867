// Package ssm is the model of Systems Manager Parameter Store: the public
// parameters AWS publishes for everyone (keks serves the EKS-optimized AMI
// ones, /aws/service/eks/optimized-ami/..., which name keks's node image,
// so that Karpenter's al2023@latest alias, eksctl and CloudFormation's
// AWS::SSM::Parameter::Value<AWS::EC2::Image::Id> resolve to it), and an
// account's own String and StringList parameters with their versions.
//
// An account's parameter is one store record holding its versions (at most
// 100, as AWS keeps): every write is one transaction on that record.
// Public parameters are not stored: they are derived from the Kubernetes
// versions keks offers, so they change only with keks.
package ssm
