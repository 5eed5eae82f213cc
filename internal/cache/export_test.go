package cache

import "context"

// SetPasswordForTest makes the server r talks to require a password from now on.
func SetPasswordForTest(ctx context.Context, r *Redis, password string) error {
	_, err := r.do(ctx, 64, []byte("CONFIG"), []byte("SET"), []byte("requirepass"), []byte(password))
	return err
}
