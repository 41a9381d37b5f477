// Package randfill sets values at random, for tests that hold a
// hand-written encoder against the standard library's: a field the
// encoder misses shows as a difference.
package randfill

import (
	"math/rand/v2"
	"reflect"
)

// Filler draws strings and interface values from its lists.
type Filler struct {
	Strings []string // what a string (or a map key) is set to
	Values  []any    // what an interface is set to (a nil entry leaves it nil)
}

// Fill sets every exported field under v at random: numbers and flags zero
// or not (for omitempty), pointers, slices and maps nil, empty or filled.
// It panics on a kind it has no case for, so that a new kind of field is
// not silently left zero.
func (f Filler) Fill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.Strings[r.IntN(len(f.Strings))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt([]int64{0, 1, -7, 127}[r.IntN(4)])
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint([]uint64{0, 1, 255}[r.IntN(3)])
	case reflect.Interface:
		if x := f.Values[r.IntN(len(f.Values))]; x != nil {
			v.Set(reflect.ValueOf(x))
		}
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			p := reflect.New(v.Type().Elem())
			f.Fill(r, p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		if r.IntN(4) == 0 {
			return // nil
		}
		n := r.IntN(4)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.Fill(r, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if r.IntN(4) == 0 {
			return // nil
		}
		m := reflect.MakeMap(v.Type())
		for range r.IntN(3) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.Fill(r, k)
			f.Fill(r, e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.Fill(r, v.Field(i))
			}
		}
	default:
		panic("randfill: no case for " + v.Kind().String())
	}
}
