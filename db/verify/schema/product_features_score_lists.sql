-- Verify odyssey:schema/product_features_score_lists on pg
SELECT 'matching.product_features_list_p0_idx'::regclass, 'matching.product_features_list_p0f_idx'::regclass,
       'matching.product_features_all_fib_idx'::regclass;
