console.log('splitup-oracle: not yet implemented');
