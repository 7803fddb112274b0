package state

import (
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
)

// SKU is DR's SKU: the product facts notifications show.
type SKU struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Description     string         `json:"description,omitempty"`
	Image           string         `json:"image,omitempty"`
	URL             string         `json:"url,omitempty"`
	Physical        bool           `json:"physical"`
	TaxCode         string         `json:"taxCode,omitempty"`
	CountryOfOrigin string         `json:"countryOfOrigin,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
	LiveMode        bool           `json:"liveMode"`
	CreatedTime     time.Time      `json:"createdTime"`
	UpdatedTime     time.Time      `json:"updatedTime"`
}

// SKUParams is the body of POST /skus, PUT /skus/{id} and POST /skus/{id}.
type SKUParams struct {
	ID              *string        `json:"id"`
	Name            *string        `json:"name"`
	Description     *string        `json:"description"`
	Image           *string        `json:"image"`
	URL             *string        `json:"url"`
	Physical        *bool          `json:"physical"`
	TaxCode         *string        `json:"taxCode"`
	CountryOfOrigin *string        `json:"countryOfOrigin"`
	Metadata        map[string]any `json:"metadata"`
}

func (s *SKU) apply(p SKUParams, now time.Time) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&s.Name, p.Name)
	set(&s.Description, p.Description)
	set(&s.Image, p.Image)
	set(&s.URL, p.URL)
	set(&s.TaxCode, p.TaxCode)
	set(&s.CountryOfOrigin, p.CountryOfOrigin)
	if p.Physical != nil {
		s.Physical = *p.Physical
	}
	if p.Metadata != nil {
		s.Metadata = p.Metadata
	}
	s.UpdatedTime = now
}

// CreateSKU is POST /skus; with upsert (PUT /skus/{id}) an existing SKU is updated.
func (a *Account) CreateSKU(p SKUParams, upsert bool) (sku *SKU, created bool, err error) {
	if p.Name == nil || *p.Name == "" {
		if !upsert {
			return nil, false, apierror.Missing("name")
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	id := "sku_" + newUUID()
	if p.ID != nil {
		if *p.ID == "" || len(*p.ID) > 100 {
			return nil, false, apierror.Invalid("id", "id must be 1 to 100 characters.")
		}
		id = *p.ID
	}
	if s, ok := a.skus.get(id); ok {
		if !upsert {
			return nil, false, apierror.Conflict("conflict", "SKU '%s' already exists.", id)
		}
		s.apply(p, now)
		a.record("sku.updated", s, nil)
		return clone(s), false, nil
	}
	if p.Name == nil || *p.Name == "" {
		return nil, false, apierror.Missing("name")
	}
	s := &SKU{ID: id, CreatedTime: now}
	s.apply(p, now)
	a.skus.put(id, s)
	a.record("sku.created", s, nil)
	return clone(s), true, nil
}

// UpdateSKU is POST /skus/{id}.
func (a *Account) UpdateSKU(id string, p SKUParams) (*SKU, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.skus.get(id)
	if !ok {
		return nil, apierror.NotFound("SKU", id)
	}
	if p.Name != nil && *p.Name == "" {
		return nil, apierror.Invalid("name", "name cannot be empty.")
	}
	s.apply(p, a.now())
	a.record("sku.updated", s, nil)
	return clone(s), nil
}

// SKU is GET /skus/{id}.
func (a *Account) SKU(id string) (*SKU, error) {
	return find(a, &a.skus, "SKU", id)
}

// SKUs is GET /skus.
func (a *Account) SKUs(lp ListParams) (Page[*SKU], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, err := a.skus.page(nil, lp)
	p.Data = cloneAll(p.Data)
	return p, err
}

// DeleteSKU is DELETE /skus/{id}.
func (a *Account) DeleteSKU(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.skus.get(id)
	if !ok {
		return apierror.NotFound("SKU", id)
	}
	a.skus.remove(id)
	a.record("sku.deleted", s, nil)
	return nil
}
