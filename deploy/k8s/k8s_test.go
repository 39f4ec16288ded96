// Package k8s holds the Kubernetes example for sharded sweeps
// (sweep-indexed-job.yaml); its test keeps the manifest consistent.
package k8s

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

type container struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	// SecurityContext of the container.
	SecurityContext *struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		RunAsUser    int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		ValueFrom *struct {
			FieldRef struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type doc struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy  string      `yaml:"restartPolicy"`
				InitContainers []container `yaml:"initContainers"`
				Containers     []container `yaml:"containers"`
				Volumes        []struct {
					Name string `yaml:"name"`
					PVC  *struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readDocs(t *testing.T, path string) map[string]doc {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	dec := yaml.NewDecoder(f) // not strict: a manifest has many fields this test does not check
	out := map[string]doc{}
	for {
		var d doc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		out[d.Kind+"/"+d.Metadata.Name] = d
	}
	return out
}

// flagValue returns the value of --name=V (or "--name V") in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

func TestIndexedJobShardsLineUp(t *testing.T) {
	docs := readDocs(t, "sweep-indexed-job.yaml")
	require.Contains(t, docs, "PersistentVolumeClaim/fleetbench-sweep-results")
	job, ok := docs["Job/fleetbench-sweep"]
	require.True(t, ok, "no Job fleetbench-sweep in %v", docs)
	require.Equal(t, "Indexed", job.Spec.CompletionMode)
	n := job.Spec.Completions
	require.Positive(t, n)
	require.LessOrEqual(t, job.Spec.Parallelism, n)
	require.Equal(t, "Never", job.Spec.Template.Spec.RestartPolicy)

	require.Len(t, job.Spec.Template.Spec.Containers, 1)
	c := job.Spec.Template.Spec.Containers[0]
	require.Equal(t, []string{"fleetbench"}, c.Command)
	require.Equal(t, "sweep", c.Args[0])
	shard, ok := flagValue(c.Args, "shard")
	require.True(t, ok, "sweep args carry no --shard: %v", c.Args)
	require.Equal(t, fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", n), shard, "--shard must be INDEX/completions")
	out, ok := flagValue(c.Args, "output")
	require.True(t, ok)
	require.Contains(t, out, "$(JOB_COMPLETION_INDEX)", "each shard must write its own file")

	// The index variable comes from the downward API.
	var indexVar bool
	for _, e := range c.Env {
		if e.Name == "JOB_COMPLETION_INDEX" && e.ValueFrom != nil {
			indexVar = e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
		}
	}
	require.True(t, indexVar, "JOB_COMPLETION_INDEX must be set from the completion-index annotation")
	mount := ""
	for _, m := range c.VolumeMounts {
		mount = m.MountPath
	}
	require.True(t, strings.HasPrefix(out, mount+"/"), "shards must write under the shared volume %s, not %s", mount, out)
	require.Equal(t, "fleetbench-sweep-results", job.Spec.Template.Spec.Volumes[0].PVC.ClaimName)

	// The merge Job waits for n shard files and merges exactly the files
	// the n shards write.
	merge, ok := docs["Job/fleetbench-sweep-merge"]
	require.True(t, ok)
	mc := merge.Spec.Template.Spec.Containers[0]
	require.Equal(t, "merge", mc.Args[0])
	var inputs []string
	for _, a := range mc.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			inputs = append(inputs, a)
		}
	}
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(out, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i)))
	}
	require.Equal(t, want, inputs, "merge must list the %d shard files", n)
	_, ok = flagValue(mc.Args, "output")
	require.True(t, ok, "merge needs --output")
	require.Len(t, merge.Spec.Template.Spec.InitContainers, 1)
	wait := strings.Join(merge.Spec.Template.Spec.InitContainers[0].Command, " ")
	m := regexp.MustCompile(`-ge (\d+)`).FindStringSubmatch(wait)
	require.NotNil(t, m, "the wait container must count shard files: %s", wait)
	require.Equal(t, strconv.Itoa(n), m[1], "the wait count must equal completions")
	require.Equal(t, "fleetbench-sweep-results", merge.Spec.Template.Spec.Volumes[0].PVC.ClaimName)
}

// TestImageIsTheDockerfiles: the fleetbench containers run the image that
// `make image` builds from the repository's Dockerfile, as its non-root
// user, and the pods give that user the results volume.
func TestImageIsTheDockerfiles(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^IMAGE \?= (\S+)$`).FindSubmatch(mk)
	require.NotNil(t, m, "the Makefile names the image (IMAGE ?= ...)")
	image := string(m[1])
	df, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	u := regexp.MustCompile(`(?m)^USER (\d+):\d+$`).FindSubmatch(df)
	require.NotNil(t, u, "the Dockerfile sets a numeric USER")
	uid, _ := strconv.Atoi(string(u[1]))

	raw, err := os.ReadFile("sweep-indexed-job.yaml")
	require.NoError(t, err)
	require.NotContains(t, string(raw), "fleetbench:latest")
	n := 0
	for name, d := range readDocs(t, "sweep-indexed-job.yaml") {
		for _, c := range d.Spec.Template.Spec.Containers {
			if len(c.Command) == 0 || c.Command[0] != "fleetbench" {
				continue
			}
			n++
			require.Equal(t, image, c.Image, "%s: the image make image builds", name)
			require.NotNil(t, c.SecurityContext, name)
			require.True(t, c.SecurityContext.RunAsNonRoot, name)
			require.Equal(t, uid, c.SecurityContext.RunAsUser, "%s: the Dockerfile's user", name)
		}
	}
	require.Equal(t, 2, n, "the sweep and the merge containers")
}
