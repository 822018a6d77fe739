"""Reviews and public questions & answers: submission, moderation, the product-page thread."""
