package awsprofile

import "fmt"

// InstanceConfig is the AWS config file of an instance keks runs: the
// profile "instance" with keks's endpoint and CA (caBundle, a path), and
// credentials from the instance metadata service, as an SDK on EC2 finds
// its role's. No key is written on the instance. keks's node controller
// and `keks agent` both write it.
func InstanceConfig(region, endpoint, caBundle string) string {
	return fmt.Sprintf("[profile instance]\nregion = %s\nendpoint_url = %s\nca_bundle = %s\ncredential_source = %s\n",
		region, endpoint, caBundle, Ec2InstanceMetadata)
}
