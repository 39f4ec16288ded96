package scenarios

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// Sample formats.
const (
	FormatJSONL = "jsonl"
	FormatTable = "table"
)

// WriteSample drives w with the zero-latency driver (Drive) and writes up
// to n requests (n <= 0: all) in format jsonl or table. The output is a pure
// function of the scenario and seed: byte-identical across runs.
//
// A jsonl line is
//
//	{"id":1,"class":"chat","kind":"chat","arrival_ns":145771431,"task_id":1,
//	 "turn":0,"depth":0,"input_tokens":1126,"output_tokens":13,
//	 "blocks":[["353fd2a4e8b9a1af",592,"system"],["7d22...",534,"user"]]}
//
// with block ids as 16-digit hex strings (JSON numbers lose precision past
// 2^53) and, for video, "video":{"model":...,"width":...,"height":...,
// "seconds":...,"fps":...,"steps":...}.
func WriteSample(out io.Writer, w *Workload, n int, format string) error {
	switch format {
	case FormatJSONL, "":
		bw := bufio.NewWriter(out)
		var buf []byte
		err := Drive(w, n, func(r *Request) {
			buf = AppendJSON(buf[:0], r)
			buf = append(buf, '\n')
			bw.Write(buf)
		})
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		return err
	case FormatTable:
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "t_s\tid\tclass\tkind\ttask\tturn\tdepth\tinput\toutput\tblocks\tfirst_block\t")
		err := Drive(w, n, func(r *Request) {
			first := "-"
			if len(r.Prompt) > 0 {
				first = fmt.Sprintf("%016x", r.Prompt[0].ID)
			}
			task := strconv.FormatUint(r.TaskID, 10)
			if r.TaskID&followupBit != 0 {
				task = fmt.Sprintf("%016x", r.TaskID)
			}
			fmt.Fprintf(tw, "%.3f\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", float64(r.Arrival)/1e9, reqID(r.ID), r.Class, r.Kind,
				task, r.Turn, r.Depth, r.InputTokens, r.OutputTokens, len(r.Prompt), first)
		})
		if ferr := tw.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	return fmt.Errorf("unknown format %q (jsonl or table)", format)
}

// reqID prints sequential ids in decimal and hashed follow-up ids in hex.
func reqID(id uint64) string {
	if id&followupBit != 0 {
		return fmt.Sprintf("%016x", id)
	}
	return strconv.FormatUint(id, 10)
}

var roleNames = [...]string{RoleSystem: "system", RoleUser: "user", RoleAssistant: "assistant", RoleTool: "tool"}

func roleName(r Role) string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "role" + strconv.Itoa(int(r))
}

// AppendJSON appends r as one JSON object (the jsonl sample format).
func AppendJSON(b []byte, r *Request) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, r.ID, 10)
	b = append(b, `,"class":`...)
	b = strconv.AppendQuote(b, r.Class)
	b = append(b, `,"kind":"`...)
	b = append(b, r.Kind...)
	b = append(b, `","arrival_ns":`...)
	b = strconv.AppendInt(b, r.Arrival, 10)
	b = append(b, `,"task_id":`...)
	b = strconv.AppendUint(b, r.TaskID, 10)
	b = append(b, `,"task_start_ns":`...)
	b = strconv.AppendInt(b, r.TaskStart, 10)
	b = append(b, `,"turn":`...)
	b = strconv.AppendInt(b, int64(r.Turn), 10)
	b = append(b, `,"depth":`...)
	b = strconv.AppendInt(b, int64(r.Depth), 10)
	b = append(b, `,"input_tokens":`...)
	b = strconv.AppendInt(b, int64(r.InputTokens), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(r.OutputTokens), 10)
	b = append(b, `,"blocks":[`...)
	for i, blk := range r.Prompt {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `["`...)
		b = appendHex16(b, blk.ID)
		b = append(b, `",`...)
		b = strconv.AppendInt(b, int64(blk.Tokens), 10)
		b = append(b, `,"`...)
		b = append(b, roleName(blk.Role)...)
		b = append(b, `"]`...)
	}
	b = append(b, ']')
	if v := r.Video; v != nil {
		b = append(b, `,"video":{"model":`...)
		b = strconv.AppendQuote(b, v.Model)
		b = append(b, `,"width":`...)
		b = strconv.AppendInt(b, int64(v.Width), 10)
		b = append(b, `,"height":`...)
		b = strconv.AppendInt(b, int64(v.Height), 10)
		b = append(b, `,"seconds":`...)
		b = strconv.AppendFloat(b, v.Seconds, 'g', -1, 64)
		b = append(b, `,"fps":`...)
		b = strconv.AppendInt(b, int64(v.FPS), 10)
		b = append(b, `,"steps":`...)
		b = strconv.AppendInt(b, int64(v.Steps), 10)
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendHex16(b []byte, x uint64) []byte {
	const digits = "0123456789abcdef"
	for s := 60; s >= 0; s -= 4 {
		b = append(b, digits[x>>uint(s)&0xf])
	}
	return b
}
