package sgfirewall

import (
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
)

func TestRulesAllowWhatTheGroupsAllowAndDropTheRest(t *testing.T) {
	nodes := &ec2.SecurityGroup{ID: "sg-nodes", Rules: []ec2.SecurityGroupRule{
		{ID: "sgr-out", Egress: true, Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "0.0.0.0/0"},
		{ID: "sgr-out-self", Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, GroupID: "sg-nodes"},
		{ID: "sgr-self", Protocol: "-1", FromPort: -1, ToPort: -1, GroupID: "sg-nodes"},
		{ID: "sgr-ssh", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"},
		{ID: "sgr-dns", Protocol: "udp", FromPort: 53, ToPort: 53, CIDR: "10.0.0.5/32"},
		{ID: "sgr-ping", Protocol: "icmp", FromPort: 8, ToPort: -1, CIDR: "10.0.0.0/8"},
		{ID: "sgr-gre", Protocol: "47", FromPort: -1, ToPort: -1, CIDR: "10.0.0.0/8"},
		{ID: "sgr-other", Protocol: "tcp", FromPort: 10250, ToPort: 10250, GroupID: "sg-other"},
	}}
	other := &ec2.SecurityGroup{ID: "sg-other"}
	self := ec2.Instance{ID: "i-1", State: ec2.StateRunning, PrivateIP: "172.31.0.10", SecurityGroupIDs: []string{"sg-nodes"}}
	peer := ec2.Instance{ID: "i-2", State: ec2.StateRunning, PrivateIP: "172.31.16.20", SecurityGroupIDs: []string{"sg-other"}}
	gone := ec2.Instance{ID: "i-3", State: ec2.StateTerminated, PrivateIP: "172.31.16.30", SecurityGroupIDs: []string{"sg-other"}}
	v := &View{Groups: map[string]*ec2.SecurityGroup{"sg-nodes": nodes, "sg-other": other}, Members: MembersOf([]ec2.Instance{self, peer, gone}),
		HostSources: []string{"198.18.0.0/19", "172.31.0.1/32"}, HostGroups: []string{"sg-nodes"}}
	got := Rules(&self, v)
	want := []string{
		"*filter", ":KEKS-SG-INGRESS - [0:0]", ":KEKS-SG-EGRESS - [0:0]",
		"-A KEKS-SG-INGRESS -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
		// The group's own members: the instance, its pods, and the host.
		"-A KEKS-SG-INGRESS -s " + self.PodCIDR() + " -m comment --comment sgr-self -j ACCEPT",
		"-A KEKS-SG-INGRESS -s 172.31.0.1/32 -m comment --comment sgr-self -j ACCEPT",
		"-A KEKS-SG-INGRESS -s 172.31.0.10/32 -m comment --comment sgr-self -j ACCEPT",
		"-A KEKS-SG-INGRESS -s 198.18.0.0/19 -m comment --comment sgr-self -j ACCEPT",
		"-A KEKS-SG-INGRESS -p tcp -m tcp --dport 22:22 -m comment --comment sgr-ssh -j ACCEPT",
		"-A KEKS-SG-INGRESS -s 10.0.0.5/32 -p udp -m udp --dport 53:53 -m comment --comment sgr-dns -j ACCEPT",
		"-A KEKS-SG-INGRESS -s 10.0.0.0/8 -p icmp -m icmp --icmp-type 8 -m comment --comment sgr-ping -j ACCEPT",
		"-A KEKS-SG-INGRESS -s 10.0.0.0/8 -p 47 -m comment --comment sgr-gre -j ACCEPT",
		// Another group's live members, not the host (not a member there), not a terminated instance.
		"-A KEKS-SG-INGRESS -s " + peer.PodCIDR() + " -p tcp -m tcp --dport 10250:10250 -m comment --comment sgr-other -j ACCEPT",
		"-A KEKS-SG-INGRESS -s 172.31.16.20/32 -p tcp -m tcp --dport 10250:10250 -m comment --comment sgr-other -j ACCEPT",
		"-A KEKS-SG-INGRESS -j DROP",
		// Outbound: replies, the metadata service, then the outbound rules by destination.
		"-A KEKS-SG-EGRESS -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
		"-A KEKS-SG-EGRESS -d 169.254.169.254/32 -j ACCEPT",
		"-A KEKS-SG-EGRESS -p tcp -m tcp --dport 443:443 -m comment --comment sgr-out -j ACCEPT",
		"-A KEKS-SG-EGRESS -d " + self.PodCIDR() + " -m comment --comment sgr-out-self -j ACCEPT",
		"-A KEKS-SG-EGRESS -d 172.31.0.1/32 -m comment --comment sgr-out-self -j ACCEPT",
		"-A KEKS-SG-EGRESS -d 172.31.0.10/32 -m comment --comment sgr-out-self -j ACCEPT",
		"-A KEKS-SG-EGRESS -d 198.18.0.0/19 -m comment --comment sgr-out-self -j ACCEPT",
		"-A KEKS-SG-EGRESS -j DROP",
		"COMMIT", "",
	}
	if got != strings.Join(want, "\n") {
		t.Fatalf("rules:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestRulesOfAnInstanceWithoutGroupsAllowAll(t *testing.T) {
	got := Rules(&ec2.Instance{ID: "i-1"}, &View{})
	if got != "*filter\n:KEKS-SG-INGRESS - [0:0]\n:KEKS-SG-EGRESS - [0:0]\n-A KEKS-SG-INGRESS -j ACCEPT\n-A KEKS-SG-EGRESS -j ACCEPT\nCOMMIT\n" {
		t.Fatalf("rules:\n%s", got)
	}
}

func TestRulesNeverAllowAllForASourceThatIsNoPrefix(t *testing.T) {
	g := &ec2.SecurityGroup{ID: "sg-a", Rules: []ec2.SecurityGroupRule{{ID: "sgr-1", Protocol: "-1", FromPort: -1, ToPort: -1, GroupID: "sg-b"}}}
	in := ec2.Instance{ID: "i-1", SecurityGroupIDs: []string{"sg-a"}}
	got := Rules(&in, &View{Groups: map[string]*ec2.SecurityGroup{"sg-a": g}, Members: map[string][]string{"sg-b": {"", "garbage"}}})
	if strings.Contains(got, "sgr-1") {
		t.Fatalf("a malformed member address became a rule:\n%s", got)
	}
}
