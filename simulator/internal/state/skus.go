package state

import (
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// SKU is DR's SKU: the product facts notifications show.
type SKU = client.SKU

// SKUParams is the body of POST /skus, PUT /skus/{id} and POST /skus/{id}.
type SKUParams = client.SKUParams

// validate checks DR's SKU fields that have a fixed form (DR's Sku model:
// weight a number, weightUnit one of DR's units).
func validateSKU(p *SKUParams) error {
	if p.Weight != nil && (*p.Weight < 0 || *p.Weight > 1e9) {
		return problem.Invalidf("weight", "weight must be between 0 and 10⁹, got %g.", *p.Weight)
	}
	if p.WeightUnit != nil && *p.WeightUnit != "" && !contains([]string{"oz", "lb", "g", "kg"}, *p.WeightUnit) {
		return problem.Invalidf("weightUnit", "weightUnit must be oz, lb, g or kg, got '%s'.", *p.WeightUnit)
	}
	return nil
}

// applySKU sets the fields p gives on s, updated now.
func applySKU(s *SKU, p SKUParams, now time.Time) {
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
	set(&s.ECCN, p.ECCN)
	set(&s.HSCode, p.HSCode)
	set(&s.PartNumber, p.PartNumber)
	set(&s.WeightUnit, p.WeightUnit)
	set(&s.ManufacturerID, p.ManufacturerID)
	set(&s.SkuGroupID, p.SkuGroupID)
	if p.Weight != nil {
		s.Weight = *p.Weight
	}
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
	if err := validateSKU(&p); err != nil {
		return nil, false, err
	}
	if p.Name == nil || *p.Name == "" {
		if !upsert {
			return nil, false, problem.Missing("name")
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	id := "sku_" + newUUID()
	if p.ID != nil {
		if *p.ID == "" || len(*p.ID) > 100 {
			return nil, false, problem.Invalidf("id", "id must be 1 to 100 characters.")
		}
		id = *p.ID
	}
	if s, ok := a.skus.get(id); ok {
		if !upsert {
			return nil, false, problem.Conflictf("conflict", "SKU '%s' already exists.", id)
		}
		applySKU(s, p, now)
		a.record("sku.updated", s, nil)
		return clone(s), false, nil
	}
	if p.Name == nil || *p.Name == "" {
		return nil, false, problem.Missing("name")
	}
	s := &SKU{ID: id, CreatedTime: now}
	applySKU(s, p, now)
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
		return nil, problem.NotFoundID("SKU", id)
	}
	if p.Name != nil && *p.Name == "" {
		return nil, problem.Invalidf("name", "name cannot be empty.")
	}
	if err := validateSKU(&p); err != nil {
		return nil, err
	}
	applySKU(s, p, a.now())
	a.record("sku.updated", s, nil)
	return clone(s), nil
}

// SKU is GET /skus/{id}.
func (a *Account) SKU(id string) (*SKU, error) {
	return find(a, &a.skus, KindSKU, id)
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
		return problem.NotFoundID("SKU", id)
	}
	a.skus.remove(id)
	a.record("sku.deleted", s, nil)
	return nil
}
