// Package ec2 models the EC2 network keks's clusters live in: availability
// zones, VPCs, subnets and security groups, and the addresses handed out in
// them.
package ec2
