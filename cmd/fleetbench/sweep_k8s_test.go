package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

// TestK8sManifestCommandsRun runs the Kubernetes example's own sweep and
// merge arguments (deploy/k8s/sweep-indexed-job.yaml) through the CLI, with
// the completion index substituted, the shared volume replaced by a temp
// folder and the scenario shortened, and checks that the merged file equals
// an unsharded run of the same grid: the manifest's commands are valid and
// their shards cover the grid.
func TestK8sManifestCommandsRun(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "deploy", "k8s", "sweep-indexed-job.yaml"))
	require.NoError(t, err)
	defer f.Close()
	type job struct {
		Metadata struct{ Name string }
		Spec     struct {
			Completions int
			Template    struct {
				Spec struct {
					Containers []struct{ Args []string }
				}
			}
		}
	}
	jobs := map[string]job{}
	dec := yaml.NewDecoder(f)
	for {
		var j job
		if err := dec.Decode(&j); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		jobs[j.Metadata.Name] = j
	}
	sweepJob, mergeJob := jobs["fleetbench-sweep"], jobs["fleetbench-sweep-merge"]
	n := sweepJob.Spec.Completions
	require.Positive(t, n)
	dir := t.TempDir()
	// 15 s measured after the 30 s warm-up, on a 9-point slice of the grid
	// (later flags win): the manifest's own grid is 120 points, too slow
	// under the race detector; deploy/k8s checks its shard arithmetic.
	short := []string{"--duration=45s", "-j", "2", "--prefill=1..3", "--decode=2..4"}
	local := func(args []string, index int) []string {
		out := make([]string, 0, len(args)+len(short))
		for _, a := range args {
			a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(index))
			out = append(out, strings.ReplaceAll(a, "/results/", dir+"/"))
		}
		return out
	}
	var outb, errb bytes.Buffer
	for i := range n {
		args := append(local(sweepJob.Spec.Template.Spec.Containers[0].Args, i), short...)
		require.Equal(t, 0, execute(args, &outb, &errb), "shard %d: %s", i, errb.String())
	}
	require.Equal(t, 0, execute(local(mergeJob.Spec.Template.Spec.Containers[0].Args, -1), &outb, &errb), errb.String())
	require.Contains(t, outb.String(), "answer: point")

	// The same sweep unsharded.
	var whole []string
	for _, a := range local(sweepJob.Spec.Template.Spec.Containers[0].Args, 0) {
		if !strings.HasPrefix(a, "--shard") && !strings.HasPrefix(a, "--output") {
			whole = append(whole, a)
		}
	}
	wholePath := filepath.Join(dir, "whole.json")
	whole = append(append(whole, short...), "--exhaustive", "-o", wholePath)
	require.Equal(t, 0, execute(whole, &outb, &errb), errb.String())
	a, err := os.ReadFile(wholePath)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	require.NoError(t, err)
	require.Equal(t, string(a), string(b))
}
