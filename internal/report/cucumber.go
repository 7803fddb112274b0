package report

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Cucumber's JSON report (what cucumber-reporting, Allure and Xray read):
// features, their scenarios ("elements") and steps with results in
// nanoseconds; each email a step checked is attached to it ("embeddings")
// as message/rfc822, with its HTML part as text/html.
type cukeFeature struct {
	URI         string        `json:"uri"`
	ID          string        `json:"id"`
	Keyword     string        `json:"keyword"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Line        int           `json:"line"`
	Tags        []cukeTag     `json:"tags,omitempty"`
	Elements    []cukeElement `json:"elements"`
}

type cukeTag struct {
	Name string `json:"name"`
}

type cukeElement struct {
	ID          string     `json:"id"`
	Keyword     string     `json:"keyword"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Line        int        `json:"line"`
	Type        string     `json:"type"`
	Tags        []cukeTag  `json:"tags,omitempty"`
	Steps       []cukeStep `json:"steps"`
}

type cukeStep struct {
	Keyword    string          `json:"keyword"`
	Name       string          `json:"name"`
	Line       int             `json:"line"`
	Rows       []cukeRow       `json:"rows,omitempty"`
	Result     cukeResult      `json:"result"`
	Embeddings []cukeEmbedding `json:"embeddings,omitempty"`
}

type cukeRow struct {
	Cells []string `json:"cells"`
}

type cukeResult struct {
	Status   string `json:"status"`
	Duration int64  `json:"duration"`
	Error    string `json:"error_message,omitempty"`
}

type cukeEmbedding struct {
	MimeType string `json:"mime_type"`
	Data     string `json:"data"`
	Name     string `json:"name"`
}

// WriteCucumber writes the run as one Cucumber JSON document.
func WriteCucumber(w io.Writer, r *Run) error {
	var out []cukeFeature
	byFile := map[string]int{}
	for _, s := range r.Scenarios {
		i, ok := byFile[s.File]
		if !ok {
			i = len(out)
			byFile[s.File] = i
			out = append(out, cukeFeature{URI: s.File, ID: cukeID(s.Feature), Keyword: "Feature", Name: s.Feature, Line: s.FeatureLine, Tags: cukeTags(s.FeatureTags)})
		}
		el := cukeElement{ID: cukeID(s.Feature) + ";" + cukeID(s.Name) + fmt.Sprintf(";%d", s.Line), Keyword: s.Keyword, Name: s.Name, Line: s.Line, Type: "scenario", Tags: cukeTags(s.Tags)}
		for _, st := range s.Steps {
			cs := cukeStep{Keyword: st.Keyword, Name: st.Text, Line: st.Line, Result: cukeResult{Status: string(st.Status), Duration: int64(st.Duration), Error: st.Error}}
			for _, row := range st.Table {
				cs.Rows = append(cs.Rows, cukeRow{Cells: row})
			}
			for _, k := range st.Emails {
				if k < 0 || k >= len(s.Emails) {
					continue
				}
				e := s.Emails[k]
				name := fmt.Sprintf("%s to %s: %s", e.Name, e.Recipient, e.Subject)
				cs.Embeddings = append(cs.Embeddings, cukeEmbedding{MimeType: "message/rfc822", Data: base64.StdEncoding.EncodeToString([]byte(e.Raw)), Name: name + ".eml"})
				if e.HTML != "" {
					cs.Embeddings = append(cs.Embeddings, cukeEmbedding{MimeType: "text/html", Data: base64.StdEncoding.EncodeToString([]byte(e.HTML)), Name: name + " (HTML part)"})
				}
			}
			el.Steps = append(el.Steps, cs)
		}
		out[i].Elements = append(out[i].Elements, el)
	}
	if out == nil {
		out = []cukeFeature{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("cucumber json: %w", err)
	}
	return nil
}

func cukeTags(tags []string) []cukeTag {
	var out []cukeTag
	for _, t := range tags {
		out = append(out, cukeTag{Name: t})
	}
	return out
}

func cukeID(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}
